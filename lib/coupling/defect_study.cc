#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/core/checkpoint.h>
#include <dendra/coupling/defect_study.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/mesh/interfacial_defect.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// One column of results.csv: its header and the text or number member it holds.
    struct ResultColumn
    {
      const char *name;
      std::string DefectCaseResult::*text = nullptr;
      double DefectCaseResult::*number    = nullptr;
    };
    const std::vector<ResultColumn> result_columns = {
      {"shape", &DefectCaseResult::shape},
      {"aspect_ratio", nullptr, &DefectCaseResult::aspect_ratio},
      {"defect_width[m]", nullptr, &DefectCaseResult::width},
      {"defect_depth[m]", nullptr, &DefectCaseResult::depth},
      {"status", &DefectCaseResult::status},
      {"failure_time[s]", nullptr, &DefectCaseResult::failure_time},
      {"peak_max_principal_stress[Pa]", nullptr, &DefectCaseResult::peak_stress},
      {"damage_onset_time[s]", nullptr, &DefectCaseResult::onset_time},
      {"early_damaged_measure", nullptr, &DefectCaseResult::early_damaged_measure},
      {"damaged_measure", nullptr, &DefectCaseResult::damaged_measure},
      {"damage_centroid_depth[m]", nullptr, &DefectCaseResult::centroid_depth},
      {"near_interface_fraction", nullptr, &DefectCaseResult::near_interface},
      {"classification", &DefectCaseResult::classification},
      {"crack_top[m]", nullptr, &DefectCaseResult::crack_top},
      {"peak_li_pressure[Pa]", nullptr, &DefectCaseResult::peak_li_pressure},
      {"end_li_pressure[Pa]", nullptr, &DefectCaseResult::end_li_pressure},
      {"peak_focusing_factor", nullptr, &DefectCaseResult::peak_focusing},
      {"mean_filling_current_share", nullptr, &DefectCaseResult::mean_current_share},
      {"wall_time[s]", nullptr, &DefectCaseResult::wall_time},
      {"fingerprint", &DefectCaseResult::fingerprint}};

    /// The header line of results.csv.
    std::string result_header()
    {
      std::string header;
      for (const auto &c : result_columns)
        header += (header.empty() ? "" : ",") + std::string(c.name);
      return header;
    }

    /// @p text as one CSV field (quoted if it holds a comma or a quote).
    std::string csv_field(const std::string &text)
    {
      if (text.find_first_of(",\"") == std::string::npos)
        return text;
      std::string quoted = "\"";
      for (const char c : text)
        quoted += (c == '"' ? std::string("\"\"") : std::string(1, c));
      return quoted + "\"";
    }

    /// Splits one CSV line (fields may be quoted).
    std::vector<std::string> csv_fields(const std::string &line)
    {
      std::vector<std::string> fields(1);
      bool                     quoted = false;
      for (std::size_t i = 0; i < line.size(); ++i)
        {
          const char c = line[i];
          if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"')
            fields.back() += '"', ++i;
          else if (c == '"')
            quoted = !quoted;
          else if (c == ',' && !quoted)
            fields.emplace_back();
          else
            fields.back() += c;
        }
      return fields;
    }

    /// The rows of the statistics.csv @p file, by column name.
    std::vector<std::map<std::string, std::string>> read_statistics(const std::string &file)
    {
      std::ifstream                                   in(file);
      std::string                                     line;
      std::vector<std::map<std::string, std::string>> rows;
      if (!std::getline(in, line))
        return rows;
      const auto names = csv_fields(line);
      while (std::getline(in, line))
        {
          const auto                         values = csv_fields(line);
          std::map<std::string, std::string> row;
          for (std::size_t i = 0; i < names.size() && i < values.size(); ++i)
            row[names[i]] = values[i];
          rows.push_back(row);
        }
      return rows;
    }

    /// The column @p name of @p rows read from a statistics.csv (empty if it has none).
    std::vector<double> column(const std::vector<std::map<std::string, std::string>> &rows, const std::string &name)
    {
      std::vector<double> values;
      for (const auto &row : rows)
        if (const auto it = row.find(name); it != row.end() && !it->second.empty())
          values.push_back(std::stod(it->second));
      return values;
    }

    /// Fills the measured part of @p result from a finished (or stopped) run.
    template <int dim>
    void measure(const Simulator<dim> &simulator, const double early_time, DefectCaseResult &result)
    {
      const auto *damage     = simulator.template field<Damage<dim>>();
      const auto *elasticity = simulator.template field<Elasticity<dim>>();
      if (elasticity)
        result.peak_stress = std::max(result.peak_stress, elasticity->peak_max_principal_stress());
      const std::vector<typename Damage<dim>::Record> no_history;
      const auto                                     &history = damage ? damage->history() : no_history;
      for (const auto &record : history)
        {
          if (result.onset_time < 0 && record.damaged_measure > 0)
            result.onset_time = record.time;
          if (record.time <= early_time * (1 + 1e-12))
            result.early_damaged_measure = record.damaged_measure;
        }
      if (!history.empty())
        {
          const auto &last       = history.back();
          result.damaged_measure = last.damaged_measure;
          result.centroid_depth  = last.centroid_height;
          result.near_interface  = last.damaged_measure > 0 ? last.measure_below_band / last.damaged_measure : 0.0;
          result.classification  = result.damaged_measure <= 0    ? "none"
                                   : result.near_interface >= 0.5 ? "near-interface"
                                                                  : "bulk";
        }
      if (!history.empty())
        result.crack_top = history.back().damaged_measure > 0 ? history.back().crack_top : 0.0;
      result.failure_time = simulator.failure_time();
    }

    /// The Li pressure and current-share history of a case, from its
    /// statistics.csv (the columns of the pressurised filling and the ionic current).
    void measure_li_history(const std::string &statistics, DefectCaseResult &result)
    {
      const auto rows     = read_statistics(statistics);
      const auto pressure = column(rows, "li_pressure[Pa]");
      const auto focusing = column(rows, "focusing_factor");
      const auto share    = column(rows, "filling_current_share");
      if (!pressure.empty())
        {
          result.peak_li_pressure = *std::max_element(pressure.begin(), pressure.end());
          result.end_li_pressure  = pressure.back();
        }
      if (!focusing.empty())
        result.peak_focusing = *std::max_element(focusing.begin(), focusing.end());
      if (!share.empty())
        result.mean_current_share = std::accumulate(share.begin(), share.end(), 0.0) / share.size();
    }

    /// Writes the mean damage and the Li region of every cell (centres) of
    /// @p simulator to @p file, gathered on rank 0 of its communicator.
    template <int dim>
    void write_damage_map(const Simulator<dim> &simulator, MPI_Comm group, const std::string &file)
    {
      const auto *damage_field = simulator.template field<Damage<dim>>();
      if (damage_field == nullptr)
        return;
      const Vector<float>                  damage = damage_field->cell_damage();
      const auto                          &li     = simulator.deposit().indicator();
      const auto                          &dofs   = simulator.deposit().dof_handler();
      std::vector<double>                  local;
      std::vector<types::global_dof_index> index(1);
      for (const auto &cell : dofs.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            cell->get_dof_indices(index);
            for (unsigned int d = 0; d < dim; ++d)
              local.push_back(cell->center()[d]);
            local.push_back(damage[cell->active_cell_index()]);
            local.push_back(li[index[0]]);
          }
      const auto all = Utilities::MPI::gather(group, local, 0);
      if (Utilities::MPI::this_mpi_process(group) != 0)
        return;
      std::ofstream out(file);
      out << (dim == 2 ? "x[m],y[m]" : "x[m],y[m],z[m]") << ",damage,li\n" << std::setprecision(6);
      for (const auto &part : all)
        for (std::size_t i = 0; i < part.size(); i += dim + 2)
          for (unsigned int k = 0; k < dim + 2; ++k)
            out << part[i + k] << (k + 1 < dim + 2 ? "," : "\n");
    }

    /// The case's geometry, which must be an interfacial defect (InputError otherwise).
    template <int dim>
    std::unique_ptr<Geometry<dim>> defect_geometry(ParameterHandler &prm, const MaterialLibrary &materials)
    {
      auto geometry = create_geometry<dim>(prm, materials);
      require_input(dynamic_cast<const InterfacialDefect<dim> *>(geometry.get()) != nullptr,
                    "Geometry/Model name must be 'interfacial defect' in a defect study");
      return geometry;
    }

    /// Runs one case in @p dim on @p group and measures it.
    template <int dim>
    void run_case_in(MPI_Comm group, ParameterHandler &prm, const double early_time, const std::string &directory,
                     DefectCaseResult &result)
    {
      MaterialLibrary materials;
      materials.parse_parameters(prm);
      const auto geometry = defect_geometry<dim>(prm, materials);
      const auto defect   = dynamic_cast<const InterfacialDefect<dim> *>(geometry.get());
      result.width        = defect->opening_width();
      result.depth        = defect->depth();

      Simulator<dim> simulator(group, prm);
      try
        {
          simulator.run();
          result.status = simulator.failure_time() >= 0 ? "failed" : "survived";
        }
      catch (const InputError &)
        {
          throw;
        }
      catch (const TerminatedBySignal &)
        {
          throw; // the case saved itself: the next run of the study resumes it
        }
      catch (const std::exception &error)
        {
          result.status = "gave up: " + one_line_message(error);
        }
      measure(simulator, early_time, result);
      write_damage_map(simulator, group, directory + "/damage_map.csv");
      MPI_Barrier(group); // rank 0 wrote the statistics
      measure_li_history(directory + "/statistics.csv", result);
    }

    /// The defect opening width (m) of the case set in @p prm.
    template <int dim>
    double opening_width(ParameterHandler &prm, const MaterialLibrary &materials)
    {
      const auto geometry = defect_geometry<dim>(prm, materials);
      return dynamic_cast<const InterfacialDefect<dim> &>(*geometry).opening_width();
    }

    /// @p text as a number, or an InputError naming @p parameter.
    double parse_double(const std::string &text, const std::string &parameter)
    {
      std::size_t end   = 0;
      double      value = 0;
      try
        {
          value = std::stod(text, &end);
        }
      catch (const std::exception &)
        {
          end = 0;
        }
      require_input(end > 0 && text.find_first_not_of(" \t", end) == std::string::npos,
                    parameter + ": '" + text + "' is not a number");
      return value;
    }

  } // namespace

  namespace
  {
    void write_result_row(std::ostream &out, const DefectCaseResult &r)
    {
      out << std::setprecision(8);
      for (const auto &c : result_columns)
        {
          if (c.text)
            out << csv_field(r.*c.text);
          else
            out << r.*c.number;
          out << (&c == &result_columns.back() ? '\n' : ',');
        }
    }
  } // namespace

  void write_case_result(const std::string &file, const DefectCaseResult &r)
  {
    std::ofstream out(file);
    out << result_header() << '\n';
    write_result_row(out, r);
  }

  bool read_case_result(const std::string &file, DefectCaseResult &r)
  {
    std::ifstream in(file);
    std::string   header, line;
    if (!std::getline(in, header) || header != result_header() || !std::getline(in, line))
      return false;
    const auto f = csv_fields(line);
    if (f.size() != result_columns.size())
      return false;
    try
      {
        for (std::size_t i = 0; i < f.size(); ++i)
          if (result_columns[i].text)
            r.*result_columns[i].text = f[i];
          else
            r.*result_columns[i].number = std::stod(f[i]);
      }
    catch (const std::exception &)
      {
        return false;
      }
    return true;
  }

  void DefectStudy::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Defect study");
    prm.declare_entry("Shapes", "semi-circle, triangle, rectangle", Patterns::Anything(),
                      "Comma-separated defect shapes (Geometry/Interfacial defect/Defect shape): semi-circle, "
                      "triangle, rectangle, cone; in 3D semi-sphere, pyramid, cuboid, cone.");
    prm.declare_entry("Aspect ratios", "0.2, 0.5, 1, 3, 5", Patterns::Anything(),
                      "Comma-separated defect depth / width ratios (-), each > 0; every shape runs with each, at "
                      "the equal area or volume Geometry/Interfacial defect/Defect size.");
    prm.declare_entry("Ranks per case", "1", Patterns::Integer(1),
                      "MPI ranks that run one case (-); the ranks form groups of this size that run cases "
                      "concurrently. Must divide the number of ranks.");
    prm.declare_entry("Early time", "60", Patterns::Double(0),
                      "Time (s) at which the cracked area of every case is compared (column "
                      "early_damaged_measure): damage accumulation in the initial stage.");
    prm.declare_entry("Damage length fraction", "0", Patterns::Double(0, 1),
                      "The damage length scale l of the electrolyte (Geometry/Interfacial defect/Electrolyte "
                      "material) is this fraction (-) of the smallest defect opening width of the sweep, equal for "
                      "all cases (AT1's strength scales with l^-1/2, so cases compare only at equal l); 0 keeps "
                      "the material's Damage length scale.");
    prm.declare_entry("Write vtu", "false", Patterns::Bool(),
                      "Write a ParaView series (Postprocess/Write vtu) in every case's directory.");
    prm.declare_entry("Plot command", "", Patterns::Anything(),
                      "Command run on rank 0 with the output directory appended, after results.csv is written "
                      "(e.g. 'python3 plot_defect_study.py'); empty: no plots.");
    prm.leave_subsection();
  }

  DefectStudy::DefectStudy(MPI_Comm world, ParameterHandler &prm)
    : world(world)
    , prm(prm)
  {
    dimension        = prm.get_integer("Dimension");
    output_directory = prm.get("Output directory");
    prm.enter_subsection("Defect study");
    const std::string shape_list = prm.get("Shapes"), ratio_list = prm.get("Aspect ratios");
    ranks_per_case  = prm.get_integer("Ranks per case");
    early_time      = prm.get_double("Early time");
    plot_command    = prm.get("Plot command");
    length_fraction = prm.get_double("Damage length fraction");
    write_vtu       = prm.get_bool("Write vtu");
    prm.leave_subsection();
    for (const auto &shape : split_top_level(shape_list, ','))
      if (!shape.empty())
        shapes.push_back(shape);
    for (const auto &text : split_top_level(ratio_list, ','))
      if (!text.empty())
        {
          const double ratio = parse_double(text, "Defect study/Aspect ratios");
          require_input(ratio > 0, "Defect study/Aspect ratios: " + text + " must be > 0");
          aspect_ratios.push_back(ratio);
        }
    require_input(!shapes.empty() && !aspect_ratios.empty(),
                  "Defect study: Shapes and Aspect ratios must each name at least one value");
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(world);
    require_input(n_ranks % ranks_per_case == 0, "Defect study/Ranks per case = " + std::to_string(ranks_per_case) +
                                                   " must divide the number of MPI ranks (" + std::to_string(n_ranks) +
                                                   ")");
    prm.enter_subsection("Simulation");
    require_input(prm.get("Fields").find("damage") != std::string::npos,
                  "Simulation/Fields must include damage (and elasticity) in a defect study");
    prm.leave_subsection();
  }

  std::string DefectStudy::case_directory(const unsigned int index) const
  {
    const std::string &shape = shapes[index / aspect_ratios.size()];
    std::ostringstream name;
    name << output_directory << "/cases/" << shape << "_ar" << aspect_ratios[index % aspect_ratios.size()];
    return name.str();
  }

  std::string DefectStudy::configure_case(const unsigned int index)
  {
    const std::string &shape = shapes[index / aspect_ratios.size()];
    std::ostringstream ratio;
    ratio << std::setprecision(12) << aspect_ratios[index % aspect_ratios.size()];
    set_parameter(prm, "Geometry/Interfacial defect/Defect shape=" + shape);
    set_parameter(prm, "Geometry/Interfacial defect/Defect aspect ratio=" + ratio.str());
    set_parameter(prm, "Output directory=" + case_directory(index));
    // The fingerprint covers every parameter but the study's own (changing
    // the concurrency or the plots must not rerun finished cases) and the
    // resume flag (set per case).
    set_parameter(prm, "Checkpoint/Resume=false");
    std::ostringstream text;
    prm.print_parameters(text, ParameterHandler::ShortPRM);
    std::istringstream lines(text.str());
    std::string        line, kept;
    bool               in_study = false;
    while (std::getline(lines, line))
      {
        if (line.find("subsection Defect study") != std::string::npos)
          in_study = true;
        if (!in_study)
          kept += line + '\n';
        else if (line.find("end") == 0)
          in_study = false;
      }
    std::ostringstream hash;
    hash << std::hex << std::hash<std::string>{}(kept);
    return hash.str();
  }

  DefectCaseResult DefectStudy::run_case(const unsigned int index, MPI_Comm group)
  {
    DefectCaseResult result;
    result.shape                = shapes[index / aspect_ratios.size()];
    result.aspect_ratio         = aspect_ratios[index % aspect_ratios.size()];
    result.fingerprint          = configure_case(index);
    const std::string directory = case_directory(index);
    DefectCaseResult  earlier;
    if (read_case_result(directory + "/result.csv", earlier) && earlier.fingerprint == result.fingerprint &&
        earlier.status.rfind("gave up", 0) != 0)
      {
        earlier.resumed = true; // done in an earlier run of the same sweep
        return earlier;
      }
    // A case interrupted after a checkpoint of the same parameters continues
    // from that checkpoint; any other case starts afresh.
    const std::string stamp = directory + "/checkpoint_fingerprint.txt";
    std::string       stamped;
    std::ifstream(stamp) >> stamped;
    // Every rank calls the collective exists(); rank 0's reading of the stamp decides.
    const bool stamp_matches = Utilities::MPI::broadcast(group, stamped == result.fingerprint, 0);
    const bool checkpointed  = Checkpointer(directory, group).exists();
    const bool resume        = stamp_matches && checkpointed;
    set_parameter(prm, std::string("Checkpoint/Resume=") + (resume ? "true" : "false"));
    if (!resume && Utilities::MPI::this_mpi_process(group) == 0)
      {
        std::filesystem::create_directories(directory);
        std::filesystem::remove_all(directory + "/checkpoint");
        std::ofstream(stamp) << result.fingerprint << '\n';
      }
    MPI_Barrier(group);
    // After the fingerprint: switching the vtu output does not rerun finished cases.
    set_parameter(prm, std::string("Postprocess/Write vtu=") + (write_vtu ? "true" : "false"));
    Timer timer;
    if (dimension == 2)
      run_case_in<2>(group, prm, early_time, directory, result);
    else
      run_case_in<3>(group, prm, early_time, directory, result);
    result.wall_time = timer.wall_time();
    if (Utilities::MPI::this_mpi_process(group) == 0)
      write_case_result(directory + "/result.csv", result);
    return result;
  }

  void DefectStudy::validate_input(const unsigned int n_cases)
  {
    // On all ranks before any case runs: an input error inside one group
    // would leave the others waiting. Every case's geometry is checked, and
    // the rest once, by a Simulator that writes the input to the output directory.
    MaterialLibrary materials;
    materials.parse_parameters(prm);
    double smallest_width = std::numeric_limits<double>::max();
    for (unsigned int index = 0; index < n_cases; ++index)
      {
        configure_case(index);
        smallest_width = std::min(smallest_width,
                                  dimension == 2 ? opening_width<2>(prm, materials) : opening_width<3>(prm, materials));
      }
    if (length_fraction > 0)
      {
        prm.enter_subsection("Geometry");
        prm.enter_subsection("Interfacial defect");
        const std::string electrolyte = prm.get("Electrolyte material");
        prm.leave_subsection();
        prm.leave_subsection();
        std::ostringstream length;
        length << std::setprecision(12) << length_fraction * smallest_width;
        set_parameter(prm, "Materials/" + electrolyte + "/Damage length scale=" + length.str());
        if (Utilities::MPI::this_mpi_process(world) == 0)
          std::cout << "Defect study: damage length scale of " << electrolyte << " = " << length.str()
                    << " m (Damage length fraction x the smallest defect width, " << smallest_width << " m)"
                    << std::endl;
      }
    set_parameter(prm, "Output directory=" + output_directory);
    if (dimension == 2)
      {
        const Simulator<2> check(world, prm);
      }
    else
      {
        const Simulator<3> check(world, prm);
      }
  }

  void DefectStudy::run()
  {
    const unsigned int rank     = Utilities::MPI::this_mpi_process(world);
    const unsigned int n_groups = Utilities::MPI::n_mpi_processes(world) / ranks_per_case;
    const unsigned int my_group = rank / ranks_per_case;
    const unsigned int n_cases  = shapes.size() * aspect_ratios.size();
    validate_input(n_cases);
    MPI_Comm group;
    MPI_Comm_split(world, my_group, rank, &group);
    if (rank == 0)
      std::cout << "Defect study: " << n_cases << " cases (" << shapes.size() << " shapes x " << aspect_ratios.size()
                << " aspect ratios) in " << dimension << "D, " << n_groups << " at a time on " << ranks_per_case
                << " rank(s) each; output in " << output_directory << "/" << std::endl;
    for (unsigned int index = my_group; index < n_cases; index += n_groups)
      {
        const DefectCaseResult r = run_case(index, group);
        if (Utilities::MPI::this_mpi_process(group) == 0)
          {
            std::ostringstream line;
            line << "  " << r.shape << " aspect ratio " << r.aspect_ratio << ": " << r.status;
            if (r.failure_time >= 0)
              line << " at t = " << r.failure_time << " s";
            line << " (" << std::setprecision(3) << r.wall_time << " s" << (r.resumed ? ", done earlier" : "") << ")\n";
            std::cout << line.str() << std::flush;
          }
      }
    MPI_Comm_free(&group);
    MPI_Barrier(world);
    if (rank != 0)
      return;
    std::vector<DefectCaseResult> results(n_cases);
    for (unsigned int index = 0; index < n_cases; ++index)
      AssertThrow(read_case_result(case_directory(index) + "/result.csv", results[index]),
                  ExcMessage("the result of case " + case_directory(index) + " is missing"));
    summarise(results);
  }

  void DefectStudy::summarise(const std::vector<DefectCaseResult> &results) const
  {
    {
      std::ofstream out(output_directory + "/results.csv");
      out << result_header() << '\n';
      for (const auto &r : results)
        write_result_row(out, r);
    }
    const std::string  unit  = dimension == 2 ? "um^2" : "um^3";
    const double       to_um = dimension == 2 ? 1e12 : 1e18;
    std::ostringstream table;
    table << "\n"
          << std::left << std::setw(12) << "shape" << std::right << std::setw(7) << "AR" << std::setw(10) << "fail t[s]"
          << std::setw(13) << "peak [MPa]" << std::setw(11) << "onset [s]" << std::setw(14) << ("early [" + unit + "]")
          << std::setw(14) << ("damage [" + unit + "]") << std::setw(12) << "depth [um]"
          << "  class\n";
    for (const auto &r : results)
      {
        std::ostringstream failure;
        if (r.failure_time >= 0)
          failure << r.failure_time;
        else
          failure << (r.status == "survived" ? "> end" : "error");
        table << std::left << std::setw(12) << r.shape << std::right << std::setw(7) << r.aspect_ratio << std::setw(10)
              << failure.str() << std::setw(13) << std::fixed << std::setprecision(0) << r.peak_stress / 1e6
              << std::setw(11) << std::setprecision(1) << r.onset_time << std::setw(14) << std::setprecision(2)
              << r.early_damaged_measure * to_um << std::setw(14) << r.damaged_measure * to_um << std::setw(12)
              << r.centroid_depth * 1e6 << "  " << r.classification << std::defaultfloat << std::setprecision(6)
              << "\n";
      }
    std::cout << table.str() << "\nresults.csv written to " << output_directory << "/" << std::endl;
    for (const auto &r : results)
      if (r.status.rfind("gave up", 0) == 0)
        std::cout << "  " << r.shape << " aspect ratio " << r.aspect_ratio << ": " << r.status << std::endl;
    if (plot_command.empty())
      return;
    const std::string command = plot_command + " '" + output_directory + "'";
    if (std::system(command.c_str()) != 0)
      std::cerr << "dendra-defect-study: warning: the plots were not made: '" << command
                << "' failed (results.csv is complete)" << std::endl;
  }
} // namespace dendra

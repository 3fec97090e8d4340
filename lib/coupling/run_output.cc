#include <dendra/base/parameters.h>
#include <dendra/coupling/run_output.h>

#include <deal.II/fe/mapping_q.h>

#include <algorithm>
#include <iomanip>
#include <istream>
#include <ostream>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void RunOutput<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Output directory", "dendra-output", Patterns::Anything(),
                      "Directory for parameters.prm, log.txt, statistics.csv, probes.csv and solution/.");
    prm.enter_subsection("Postprocess");
    prm.declare_entry("Probe points", "", Patterns::Anything(),
                      "Points 'x, y[, z]; x, y[, z]' (m) where fields are written to probes.csv every step.");
    prm.declare_entry("Write vtu", "true", Patterns::Bool(), "Write solution/*.vtu every step.");
    prm.declare_entry("Echo log", "true", Patterns::Bool(),
                      "Print the run's log to the terminal as well as to log.txt.");
    prm.declare_entry("Timing", "false", Patterns::Bool(),
                      "Profile the run: at its end, log the wall time (s) of each section (assembly per field, AMG "
                      "set-up, Krylov solves, staggered passes, pressure balance, mesh adaptation, output, ...).");
    prm.leave_subsection();
  }

  template <int dim>
  RunOutput<dim>::RunOutput(ParameterHandler &prm, MPI_Comm communicator, const bool resume)
  {
    prm.enter_subsection("Postprocess");
    probes = std::make_unique<Probes<dim>>(parse_points<dim>(prm.get("Probe points"), "Postprocess/Probe points"));
    write_vtu           = prm.get_bool("Write vtu");
    const bool echo_log = prm.get_bool("Echo log");
    timing              = prm.get_bool("Timing");
    prm.leave_subsection();
    writer = std::make_unique<OutputWriter>(prm.get("Output directory"), communicator, resume);
    writer->set_echo(echo_log);
    writer->write_parameters(prm);
  }

  template <int dim>
  void RunOutput<dim>::end_row(const Fields &fields, const unsigned int step, const double time)
  {
    statistics_table.end_row();
    writer->write_statistics(statistics_table);
    if (probes->points().empty())
      return;
    probe_table.add_value("step", "", step);
    probe_table.add_value("time", "s", time);
    for (const auto &field : fields)
      {
        const auto names  = field->probe_quantities();
        const auto values = field->probe(*probes);
        for (unsigned int p = 0; p < values.size(); ++p)
          for (unsigned int c = 0; c < names.size(); ++c)
            probe_table.add_value("p" + std::to_string(p) + "_" + names[c].first, names[c].second, values[p][c]);
      }
    probe_table.end_row();
    writer->write_probes(probe_table);
  }

  template <int dim>
  void RunOutput<dim>::write_solution(const Triangulation<dim> &mesh, const Fields &fields,
                                      const std::function<void(DataOut<dim> &)> &add_run_data,
                                      const unsigned int step, const double time)
  {
    if (!write_vtu)
      return;
    DataOut<dim> data_out;
    data_out.attach_triangulation(mesh);
    unsigned int degree = 1;
    for (const auto &field : fields)
      {
        field->add_output(data_out);
        degree = std::max(degree, field->degree());
      }
    Vector<float> material_id(mesh.n_active_cells()), subdomain(mesh.n_active_cells());
    for (const auto &cell : mesh.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          material_id(cell->active_cell_index()) = cell->material_id();
          subdomain(cell->active_cell_index())   = cell->subdomain_id();
        }
    data_out.add_data_vector(material_id, "material_id");
    data_out.add_data_vector(subdomain, "subdomain");
    add_run_data(data_out);
    data_out.build_patches(MappingQ<dim>(degree), degree);
    writer->write_solution(data_out, time, step);
  }

  template <int dim>
  void RunOutput<dim>::log_progress(const Fields &fields, const std::string &head, const std::string &tail,
                                    const double done_fraction)
  {
    std::ostringstream progress;
    progress << head;
    for (const auto &field : fields)
      {
        const std::string text = field->progress();
        if (!text.empty())
          progress << "  " << text;
      }
    if (!tail.empty())
      progress << "  " << tail;
    const double elapsed = wall_time();
    progress << "  elapsed " << std::setprecision(3) << elapsed << " s, ETA "
             << elapsed / done_fraction * (1 - done_fraction) << " s";
    writer->log(progress.str());
  }

  template <int dim>
  void RunOutput<dim>::log_summary(const Fields &fields, const BoundaryLabels &labels)
  {
    for (const auto &field : fields)
      {
        const std::string text = field->summary(labels);
        if (!text.empty())
          writer->log(text);
      }
    writer->log("Output written to " + writer->directory() + "/");
  }

  template <int dim>
  void RunOutput<dim>::save(std::ostream &out) const
  {
    out << std::setprecision(17) << "solution_records " << writer->solution_records().size() << "\n";
    for (const auto &[t, file] : writer->solution_records())
      out << t << ' ' << file << "\n";
    statistics_table.save(out);
    probe_table.save(out);
  }

  template <int dim>
  void RunOutput<dim>::load(std::istream &in)
  {
    std::string word;
    std::size_t n = 0;
    in >> word >> n;
    std::vector<std::pair<double, std::string>> records(n);
    for (auto &[t, file] : records)
      in >> t >> file;
    writer->resume(records);
    statistics_table.load(in);
    probe_table.load(in);
  }

  template class RunOutput<2>;
  template class RunOutput<3>;
} // namespace dendra

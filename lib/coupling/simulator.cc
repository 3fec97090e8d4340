#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/profile.h>
#include <dendra/core/checkpoint.h>
#include <dendra/coupling/simulator.h>

#include <cmath>

#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>
#include <deal.II/numerics/data_out.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void Simulator<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Dimension", "2", Patterns::Integer(2, 3), "Space dimension (2 = plane strain, 3).");
    RunOutput<dim>::declare_parameters(prm);
    prm.enter_subsection("Simulation");
    prm.declare_entry("Fields", "elasticity", Patterns::MultipleSelection(FieldRegistry<dim>::pattern()),
                      "Comma-separated fields to solve in every step; empty: only build and write the mesh. With a "
                      "transient field (transport or deposition, not both) the run has time steps (subsection "
                      "Time stepping); otherwise Number of steps quasi-static steps. Fields exchange named "
                      "quantities (log.txt lists who reads what): quasi-static fields that exchange quantities "
                      "with the transient one are staggered with it within each step (Coupling/Staggered); "
                      "damage is solved with elasticity by alternate minimisation (Coupling/Alternate "
                      "minimisation), in transient runs at every accepted time. Fields: " +
                        FieldRegistry<dim>::documentation());
    prm.declare_entry("End time", "1", Patterns::Double(0), "Time of the last step (s), > 0.");
    prm.declare_entry("Number of steps", "4", Patterns::Integer(1),
                      "Quasi-static steps t_k = k End time / N (-); not used with a transient field.");
    prm.leave_subsection();
    prm.enter_subsection("Failure");
    prm.declare_entry("Stop at failure", "true", Patterns::Bool(), "End the run in the step the cell fails.");
    prm.leave_subsection();
    DefectDeposit<dim>::Parameters::declare_parameters(prm);
    declare_geometry_parameters(prm);
    MeshBuilder<dim>::declare_parameters(prm);
    MaterialLibrary::declare_parameters(prm);
    FieldRegistry<dim>::declare_all(prm);
    TimeStepController::declare_parameters(prm);
    CurrentProgram::declare_parameters(prm);
    CouplingParameters::declare_parameters(prm);
    CheckpointParameters::declare_parameters(prm);
  }

  template <int dim>
  Simulator<dim>::Simulator(MPI_Comm communicator, ParameterHandler &prm)
    : communicator(communicator)
    , prm(prm)
    , tria(communicator, Triangulation<dim>::limit_level_difference_at_vertices)
  {
    materials.parse_parameters(prm);
    geometry = create_geometry<dim>(prm, materials);
    mesh_builder.parse_parameters(prm);
    for (const auto &[id, name] : geometry->boundary_names())
      {
        boundary_names[name] = id;
        boundary_label[id]   = name;
        std::replace(boundary_label[id].begin(), boundary_label[id].end(), ' ', '_');
      }
    prm.enter_subsection("Simulation");
    end_time = prm.get_double("End time");
    n_steps  = prm.get_integer("Number of steps");
    prm.leave_subsection();
    require_input(end_time > 0, "Simulation/End time = " + format_number(end_time) + " s must be > 0");
    coupling.parse_parameters(prm);
    prm.enter_subsection("Failure");
    stop_at_failure = prm.get_bool("Stop at failure");
    prm.leave_subsection();
    parse_fields();

    deposit_parameters.parse_parameters(prm, materials);
    defect_deposit = std::make_unique<DefectDeposit<dim>>(tria, *geometry, deposit_parameters);
    require_input(!defect_deposit->faradaic() || !transient_run,
                  "Plating/Deposit growth = faradaic is for quasi-static runs (no transient field)");
    require_input(!deposit_parameters.pressurised_filling || !transient_run,
                  "Plating/Li model = pressurised filling is for quasi-static runs (no transient field)");
    checkpoint.parse_parameters(prm);
    output = std::make_unique<RunOutput<dim>>(prm, communicator, checkpoint.resume);
    run_checkpoint =
      std::make_unique<RunCheckpoint<dim>>(checkpoint, *output, communicator, tria, fields, *defect_deposit);
  }

  template <int dim>
  void Simulator<dim>::parse_fields()
  {
    prm.enter_subsection("Simulation");
    const std::vector<std::string> names = Utilities::split_string_list(prm.get("Fields"), ',');
    prm.leave_subsection();
    std::vector<std::pair<std::string, const typename FieldRegistry<dim>::Entry *>> entries;
    for (const auto &name : std::set<std::string>(names.begin(), names.end()))
      entries.emplace_back(name, &FieldRegistry<dim>::get(name, "Simulation/Fields"));
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto &a, const auto &b) { return a.second->rank < b.second->rank; });
    std::vector<std::string> transient_names, irreversible_names;
    for (const auto &[name, entry] : entries)
      {
        if (entry->transient)
          transient_names.push_back(name);
        if (entry->irreversible)
          irreversible_names.push_back(name);
      }
    if (transient_names.size() > 1)
      throw InputError("Simulation/Fields: '" + transient_names[0] + "' and '" + transient_names[1] +
                       "' are both transient fields; one time loop advances one of them, choose one");
    if (irreversible_names.size() > 1)
      throw InputError("Simulation/Fields: '" + irreversible_names[0] + "' and '" + irreversible_names[1] +
                       "' are both irreversible fields; one fracture scheme drives one of them, choose one");
    transient_run = !transient_names.empty();

    types::boundary_id working_electrode = numbers::invalid_boundary_id;
    if (transient_run)
      {
        time_stepper.parse_parameters(prm);
        require_input(mesh_builder.adaptive_cycles == 0,
                      "Mesh refinement/Adaptive refinement cycles: transient runs adapt between time steps; set "
                      "it to 0 and use Mesh refinement/Adaptation interval");
      }
    // Quasi-static runs apply the program's current of each step's end (e.g. an ionic current).
    current_program.parse_parameters(prm);
    if (current_program.working_electrode().empty())
      current_program = CurrentProgram(); // no program: nothing to land on
    else
      working_electrode = parse_boundary_map(current_program.working_electrode() + ": 0",
                                             "Current program/Working electrode", boundary_names)
                            .begin()
                            ->first;
    context.reset(
      new FieldContext<dim>{tria, materials, *geometry, boundary_names, current_program, working_electrode});
    for (const auto &[name, entry] : entries)
      makers.push_back(entry->parse(prm, *context));
  }

  template <int dim>
  void Simulator<dim>::setup_fields(const bool resumed)
  {
    for (const auto &make : makers)
      {
        fields.push_back(make());
        fields.back()->setup_dofs();
      }
    // Adaptive runs start with their cell size targets met (an initial crack)
    // or with the cells the fields keep refined (an initial interface) at the
    // finest level; a loaded mesh is already adapted.
    Vector<float> keep, targets;
    while (mesh_builder.adaptation_interval > 0 && !resumed)
      {
        unsigned int flagged = 0;
        if (cell_size_targets(targets))
          flagged = mesh_builder.mark_to_targets(tria, targets, false);
        else if (cells_to_keep_refined(keep))
          flagged = mesh_builder.mark_for_refinement(tria, keep);
        if (flagged == 0)
          break;
        tria.execute_coarsening_and_refinement();
        for (auto &field : fields)
          field->setup_dofs(); // the initial state on the finer mesh
      }
    for (auto &field : fields)
      field->on_mesh_ready();
    connect_quantities();
    schemes = std::make_unique<CoupledStep<dim>>(fields, quantities, coupling, *defect_deposit);
    defect_deposit->update_region();
  }

  template <int dim>
  void Simulator<dim>::connect_quantities()
  {
    // Every field provides, then every field reads: the order of the fields does not matter.
    for (const auto &field : fields)
      field->provide_quantities(quantities);
    defect_deposit->provide_quantities(quantities);
    for (auto &field : fields)
      field->read_quantities(quantities);
    defect_deposit->read_quantities(quantities);
    std::string text = "Coupled quantities (reader <- quantity (provider)):";
    for (const auto &line : quantities.connections())
      text += "\n  " + line;
    output->log(text);
  }

  template <int dim>
  bool Simulator<dim>::cells_to_keep_refined(Vector<float> &keep)
  {
    keep.reinit(tria.n_active_cells());
    Vector<float> field_keep;
    bool          any = false;
    for (const auto &field : fields)
      if (field->cells_to_keep_refined(field_keep))
        {
          keep += field_keep;
          any = true;
        }
    return any;
  }

  template <int dim>
  bool Simulator<dim>::cell_size_targets(Vector<float> &targets)
  {
    // The smallest of the fields' targets; cells kept refined want the interface resolution.
    const auto take_smaller = [](float &target, const float wish) {
      if (wish > 0)
        target = target > 0 ? std::min(target, wish) : wish;
    };
    targets.reinit(tria.n_active_cells());
    Vector<float> wishes;
    bool          any = false;
    for (const auto &field : fields)
      if (field->cell_size_targets(wishes))
        {
          any = true;
          for (unsigned int i = 0; i < targets.size(); ++i)
            take_smaller(targets[i], wishes[i]);
        }
    if (any && mesh_builder.interface_resolution > 0 && cells_to_keep_refined(wishes))
      for (unsigned int i = 0; i < targets.size(); ++i)
        take_smaller(targets[i], wishes[i] > 0 ? mesh_builder.interface_resolution : 0);
    return any;
  }

  template <int dim>
  bool Simulator<dim>::under_resolved()
  {
    Vector<float> targets;
    return cell_size_targets(targets) && mesh_builder.coarser_than_targets(tria, targets);
  }

  template <int dim>
  void Simulator<dim>::adapt_mesh()
  {
    const profile::Section section("mesh adaptation");
    Vector<float> targets;
    if (cell_size_targets(targets))
      mesh_builder.mark_to_targets(tria, targets, true); // deterministic: independent of the partition
    else
      mark_by_error_indicators();
    tria.prepare_coarsening_and_refinement();
    for (auto &field : fields)
      field->prepare_for_transfer();
    tria.execute_coarsening_and_refinement();
    for (auto &field : fields)
      field->finish_transfer();
    mesh_ready();
  }

  template <int dim>
  void Simulator<dim>::mark_by_error_indicators()
  {
    Vector<float> indicators(tria.n_active_cells()), field_indicators;
    for (const auto &field : fields)
      {
        field->estimate_error(field_indicators);
        const double max = Utilities::MPI::max(static_cast<double>(field_indicators.linfty_norm()), communicator);
        if (max > 0)
          indicators.add(1.0 / max, field_indicators);
      }
    // Cells a field keeps at the finest level (a diffuse interface) stay there.
    Vector<float> keep;
    const bool    any_kept = cells_to_keep_refined(keep);
    mesh_builder.mark_for_adaptation(tria, indicators, any_kept ? &keep : nullptr);
  }

  template <int dim>
  void Simulator<dim>::mesh_ready()
  {
    defect_deposit->update_region();
    for (auto &field : fields)
      field->on_mesh_ready();
  }

  template <int dim>
  bool Simulator<dim>::check_failure(const double time)
  {
    if (time_of_failure >= 0)
      return false;
    for (auto &field : fields)
      {
        const std::string reason = field->check_failure(time);
        if (!reason.empty())
          {
            time_of_failure = time;
            output->log("Failure at t = " + format_number(time) + " s: " + reason);
            return true;
          }
      }
    return false;
  }

  template <int dim>
  bool Simulator<dim>::record(const AcceptedStep &accepted)
  {
    const double time   = accepted.state.time;
    const bool   failed = check_failure(time);
    auto        &s      = output->statistics();
    s.add_value("step", "", accepted.transient ? s.n_rows() + 1 : accepted.state.step);
    s.add_value("time", "s", time);
    if (accepted.transient)
      s.add_value("time_step", "s", accepted.dt);
    s.add_value("cells", "", tria.n_global_active_cells());
    // The coarse mesh refined uniformly to this one's finest level: what adaptivity saves.
    s.add_value("uniform_cells", "",
                static_cast<double>(tria.n_cells(0)) * std::pow(2.0, dim * (tria.n_global_levels() - 1)));
    s.add_value("wall_time", "s", output->wall_time());
    if (accepted.transient)
      {
        s.add_value("newton_iterations", "", accepted.newton.iterations);
        s.add_value("linear_iterations", "", accepted.newton.linear_iterations);
        s.add_value("rejected_steps", "", accepted.rejected);
      }
    for (auto &field : fields)
      field->add_statistics(s, boundary_label);
    if (context->working_electrode != numbers::invalid_boundary_id)
      s.add_value("applied_current_density", "A/m^2", current_program.current_density_before(time));
    schemes->add_statistics(s);
    if (defect_deposit->filling() || quantities.is_read(quantity_names::deposit_eigenstrain))
      defect_deposit->add_statistics(s, time);
    output->end_row(fields, accepted.state.step, time);
    write_output(accepted.state.step, time);
    return failed;
  }

  template <int dim>
  bool Simulator<dim>::finish_step(const AcceptedStep &accepted, const bool failed)
  {
    const std::string head = accepted.head + "  cells " + std::to_string(tria.n_global_active_cells());
    output->log_progress(fields, head, schemes->progress(), accepted.state.time / end_time);
    run_checkpoint->write_if_due(accepted.state, time_of_failure);
    return failed && stop_at_failure;
  }

  template <int dim>
  void Simulator<dim>::write_output(const unsigned int step, const double time)
  {
    if (!output->writes_solution())
      return;
    const profile::Section section("output");
    Vector<float> li_indicator(tria.n_active_cells());
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        li_indicator(cell->active_cell_index()) = geometry->initial_li_indicator(cell->center());
    const auto add_run_data = [&](DataOut<dim> &data_out) {
      data_out.add_data_vector(li_indicator, "initial_li_indicator");
      data_out.add_data_vector(defect_deposit->dof_handler(), defect_deposit->indicator(), "deposit");
      if (const LiFilling<dim> *filling = defect_deposit->filling()) // the pressurised filling's cavity and cracks
        {
          data_out.add_data_vector(filling->dof_handler(), filling->defect_indicator(), "li_defect");
          data_out.add_data_vector(filling->dof_handler(), filling->crack_indicator(), "li_crack");
        }
    };
    output->write_solution(tria, fields, add_run_data, step, time);
  }

  template <int dim>
  void Simulator<dim>::run()
  {
    std::ostringstream banner;
    banner << "Dendra: " << dim << "D, " << Utilities::MPI::n_mpi_processes(communicator) << " MPI rank(s), "
           << LA::backend_name << " linear algebra\n"
           << "Geometry: " << geometry->description();
    output->log(banner.str());
    // The profile ends with the run however it ends; a run that stops with
    // an error logs none.
    struct EndOfProfile
    {
      bool on;
      ~EndOfProfile()
      {
        if (on)
          profile::finish();
      }
    } const end_of_profile{output->profiled()};
    if (output->profiled())
      profile::start(communicator);

    catch_termination_signals();
    const Checkpointer checkpoints(output->directory(), communicator);
    LoopState          start;
    start.next_dt = time_stepper.initial_dt;
    if (checkpoint.resume)
      {
        std::string run_state;
        mesh_builder.load(*geometry, tria, [&]() { run_state = checkpoints.load(tria); });
        setup_fields(true);
        start = run_checkpoint->restore(run_state, time_of_failure);
        mesh_ready();
        schemes->publish_quasi_static(); // what the transient field reads
        output->log("Resumed from " + checkpoints.directory() + " after step " + std::to_string(start.step));
      }
    else
      {
        mesh_builder.build(*geometry, tria);
        mesh_builder.renumber_cells_as_loaded(*geometry, tria, output->directory());
        setup_fields(false);
      }
    output->log("Mesh: " + std::to_string(tria.n_global_active_cells()) + " cells");

    if (fields.empty())
      {
        // No field: the run only builds the mesh and writes it (material ids).
        write_output(0, 0.0);
        output->log("Simulation/Fields is empty: mesh written, nothing solved");
      }
    else
      {
        typename TimeLoop<dim>::Run hooks;
        hooks.adapt_mesh     = [this]() { adapt_mesh(); };
        hooks.under_resolved = [this]() { return under_resolved(); };
        hooks.log            = [this](const std::string &line) { output->log(line); };
        hooks.record         = [this](const AcceptedStep &accepted) { return record(accepted); };
        hooks.finish = [this](const AcceptedStep &accepted, bool failed) { return finish_step(accepted, failed); };
        TimeLoop<dim>(
          *schemes, time_stepper, current_program,
          {end_time, n_steps, mesh_builder.adaptive_cycles, mesh_builder.adaptation_interval, mesh_builder.redo_limit},
          hooks)
          .run(start);
      }
    output->log_summary(fields, boundary_label);
    if (output->profiled())
      {
        const std::string table = profile::finish(); // empty but on rank 0
        if (!table.empty())
          output->log("Timing (rank 0's wall times; a nested section counts in its parent too):\n" + table);
      }
  }

  void run_simulation(MPI_Comm communicator, ParameterHandler &prm)
  {
    if (prm.get_integer("Dimension") == 2)
      {
        Simulator<2> simulator(communicator, prm);
        simulator.run();
      }
    else
      {
        Simulator<3> simulator(communicator, prm);
        simulator.run();
      }
  }

  template class Simulator<2>;
  template class Simulator<3>;
} // namespace dendra

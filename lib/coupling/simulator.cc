#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/core/checkpoint.h>
#include <dendra/coupling/simulator.h>

#include <deal.II/base/function.h>
#include <deal.II/base/mpi.h>
#include <deal.II/numerics/data_out.h>

#include <iomanip>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    std::string column_name(std::string text)
    {
      std::replace(text.begin(), text.end(), ' ', '_');
      return text;
    }

    /// The working electrode's current density (A/m^2) from the current
    /// program times @p area (m^2 or m; 1 for the density itself), evaluated
    /// as the left limit at the function's time.
    template <int dim>
    class ProgramCurrent : public Function<dim>
    {
    public:
      ProgramCurrent(const CurrentProgram &program, const double area)
        : area(area)
        , program(program)
      {}
      double value(const Point<dim> &, const unsigned int) const override
      {
        return area * program.current_density_before(this->get_time());
      }
      double area; ///< set once the mesh exists

    private:
      const CurrentProgram &program;
    };

    /// A CoupledGroup from callables (the Simulator's groups of fields).
    class GroupOfCallbacks : public CoupledGroup
    {
    public:
      std::function<void(unsigned int)>            sweep_fields;
      std::function<LA::MPI::Vector()>             state;
      std::function<void(const LA::MPI::Vector &)> set_state;

      void            sweep(const unsigned int pass) override { sweep_fields(pass); }
      LA::MPI::Vector interface_state() const override { return state(); }
      void            set_interface_state(const LA::MPI::Vector &x) override { set_state(x); }
    };

    /// An IrreversibleStep from callables.
    class StepOfCallbacks : public IrreversibleStep
    {
    public:
      std::function<void(double, double)> solve;
      std::function<void()>               back_to_committed;

      void solve_to(const double start, const double target) override { solve(start, target); }
      void reset() override { back_to_committed(); }
    };

    /// The owned entries of the ghosted @p state.
    LA::MPI::Vector owned_copy(const LA::MPI::Vector &state)
    {
      LA::MPI::Vector owned(state.locally_owned_elements(), state.get_mpi_communicator());
      owned = state;
      return owned;
    }

    template <int dim>
    std::string format_point(const Point<dim> &p, const double unit)
    {
      std::ostringstream out;
      out << "(" << std::setprecision(4);
      for (unsigned int d = 0; d < dim; ++d)
        out << (d ? ", " : "") << p[d] / unit;
      out << ")";
      return out.str();
    }
  } // namespace

  template <int dim>
  void Simulator<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Dimension", "2", Patterns::Integer(2, 3), "Space dimension (2 = plane strain, 3).");
    prm.declare_entry("Output directory", "dendra-output", Patterns::Anything(),
                      "Directory for parameters.prm, log.txt, statistics.csv, probes.csv and solution/.");
    prm.enter_subsection("Simulation");
    prm.declare_entry("Fields", "elasticity",
                      Patterns::MultipleSelection("electrostatics|elasticity|transport|deposition|damage"),
                      "Comma-separated fields to solve in every step; empty: only build and write the mesh. With "
                      "transport or deposition (phase-field "
                      "Li deposition with its own Li+ transport, subsection Electrodeposition; not together with "
                      "transport) the run is transient (subsection Time stepping); otherwise Number of steps "
                      "quasi-static steps. Deposition with elasticity: plated Li strains the solid "
                      "(Elasticity/Plated lithium) and its stress enters the kinetics "
                      "(Electrodeposition/Stress coupling), staggered per step; transport with elasticity: the "
                      "stress enters the electrode kinetics (Transport/Stress coupling). Damage (with elasticity): "
                      "phase-field fracture of the materials with a Fracture energy, staggered with elasticity to "
                      "convergence in every step, in transient runs at every accepted time (subsection Damage).");
    prm.declare_entry("End time", "1", Patterns::Double(0), "Time of the last step (s), > 0.");
    prm.declare_entry("Number of steps", "4", Patterns::Integer(1),
                      "Quasi-static steps t_k = k End time / N (-); not used with transport.");
    prm.leave_subsection();
    prm.enter_subsection("Failure");
    prm.declare_entry("Damage threshold", "0.95", Patterns::Double(0, 1),
                      "Damage runs: d (-) above which the electrolyte counts as cracked.");
    prm.declare_entry("Crack height fraction", "0.5", Patterns::Double(0, 1),
                      "The cell fails when cracked electrolyte reaches this fraction (-) of the electrolyte "
                      "thickness above the interface (the geometry's separator), in (0, 1].");
    prm.declare_entry("Counter electrode", "electrolyte top", Patterns::Anything(),
                      "Boundary (name or id) whose contact with cracked electrolyte fails the cell; empty: none.");
    prm.declare_entry("Near-interface band", "1e-6", Patterns::Double(0),
                      "Damage below this height above the interface (m) counts as near-interface "
                      "(column damage_near_interface_fraction).");
    prm.declare_entry("Stop at failure", "true", Patterns::Bool(), "End the run in the step the cell fails.");
    prm.leave_subsection();
    DefectDeposit<dim>::Parameters::declare_parameters(prm);
    prm.enter_subsection("Postprocess");
    prm.declare_entry("Probe points", "", Patterns::Anything(),
                      "Points 'x, y[, z]; x, y[, z]' (m) where fields are written to probes.csv every step.");
    prm.declare_entry("Stress summary materials", "LLZO", Patterns::Anything(),
                      "Comma-separated materials over which stress extremes are reported; empty = all. With "
                      "more than one, statistics.csv also has each one's maximum principal and von Mises stress.");
    prm.declare_entry("Write vtu", "true", Patterns::Bool(), "Write solution/*.vtu every step.");
    prm.declare_entry("Echo log", "true", Patterns::Bool(),
                      "Print the run's log to the terminal as well as to log.txt.");
    prm.leave_subsection();
    declare_geometry_parameters(prm);
    MeshBuilder<dim>::declare_parameters(prm);
    MaterialLibrary::declare_parameters(prm);
    Electrostatics<dim>::Parameters::declare_parameters(prm);
    Elasticity<dim>::Parameters::declare_parameters(prm);
    Transport<dim>::Parameters::declare_parameters(prm);
    Electrodeposition<dim>::Parameters::declare_parameters(prm);
    Damage<dim>::Parameters::declare_parameters(prm);
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
    BoundaryNames boundary_names;
    for (const auto &[id, name] : geometry->boundary_names())
      boundary_names[name] = id;

    prm.enter_subsection("Simulation");
    const std::string fields = prm.get("Fields");
    solve_electrostatics     = fields.find("electrostatics") != std::string::npos;
    solve_elasticity         = fields.find("elasticity") != std::string::npos;
    solve_transport          = fields.find("transport") != std::string::npos;
    solve_deposition         = fields.find("deposition") != std::string::npos;
    solve_damage             = fields.find("damage") != std::string::npos;
    end_time                 = prm.get_double("End time");
    n_steps                  = prm.get_integer("Number of steps");
    prm.leave_subsection();
    coupling.parse_parameters(prm);
    require_input(!(solve_transport && solve_deposition),
                  "Simulation/Fields: deposition solves its own Li+ transport; do not combine it with transport");
    require_input(end_time > 0, "Simulation/End time = " + format_number(end_time) + " s must be > 0");
    if (solve_damage)
      damage_parameters.parse_parameters(prm);

    deposit_parameters.parse_parameters(prm, materials);
    defect_deposit = std::make_unique<DefectDeposit<dim>>(tria, *geometry, deposit_parameters);
    require_input(!defect_deposit->faradaic() || !(solve_transport || solve_deposition),
                  "Plating/Deposit growth = faradaic is for quasi-static runs (no transport or deposition field)");
    if (solve_damage)
      parse_failure_criterion(boundary_names);

    prm.enter_subsection("Postprocess");
    probes = std::make_unique<Probes<dim>>(parse_points<dim>(prm.get("Probe points"), "Postprocess/Probe points"));
    summary_material_names = prm.get("Stress summary materials");
    for (const auto &name : split_top_level(summary_material_names, ','))
      if (!name.empty())
        {
          const auto id = materials.by_name(name, "Postprocess/Stress summary materials").id;
          summary_material_ids.insert(id);
          summary_material_label[id] = column_name(name);
        }
    write_vtu           = prm.get_bool("Write vtu");
    const bool echo_log = prm.get_bool("Echo log");
    prm.leave_subsection();

    if (solve_electrostatics)
      electrostatics_parameters.parse_parameters(prm, boundary_names);
    if (solve_elasticity)
      elasticity_parameters.parse_parameters(prm, boundary_names);
    if (solve_transport)
      {
        transport_parameters.parse_parameters(prm, boundary_names, materials);
        time_stepper.parse_parameters(prm);
        current_program.parse_parameters(prm);
        require_input(mesh_builder.adaptive_cycles == 0,
                      "Mesh refinement/Adaptive refinement cycles: transient runs adapt between time steps; set "
                      "it to 0 and use Mesh refinement/Adaptation interval");
        if (!current_program.working_electrode().empty())
          {
            const auto id = parse_boundary_map(current_program.working_electrode() + ": 0",
                                               "Current program/Working electrode", boundary_names)
                              .begin()
                              ->first;
            transport_parameters.electrode_potential.erase(id);
            transport_parameters.current_density.erase(id);
            working_electrode = id;
            if (current_program.galvanostatic())
              transport_parameters.total_current[id] = std::make_shared<ProgramCurrent<dim>>(current_program, 0.0);
            else
              transport_parameters.current_density[id] = std::make_shared<ProgramCurrent<dim>>(current_program, 1.0);
          }
      }
    if (solve_deposition)
      {
        deposition_parameters.parse_parameters(prm, boundary_names, materials);
        if (deposition_parameters.initial_phase_from_geometry)
          {
            const Geometry<dim> &shape          = *geometry;
            deposition_parameters.initial_phase = std::make_shared<ScalarFunctionFromFunctionObject<dim>>(
              [&shape](const Point<dim> &p) { return shape.initial_li_indicator(p); });
          }
        time_stepper.parse_parameters(prm);
        current_program.parse_parameters(prm);
        if (current_program.working_electrode().empty())
          current_program = CurrentProgram(); // no program: nothing to land on
        else
          {
            // The working electrode is the collector under the metal; it
            // becomes insulating and its potential floats (Chen et al.'s
            // galvanostatic model), and the program's current enters through
            // the reservoir, where plating consumes it (Faraday's law).
            const auto id = parse_boundary_map(current_program.working_electrode() + ": 0",
                                               "Current program/Working electrode", boundary_names)
                              .begin()
                              ->first;
            require_input(deposition_parameters.reservoir.size() == 1 && deposition_parameters.reservoir[0] != id,
                          "Current program/Working electrode: deposition runs need exactly one "
                          "Electrodeposition/Boundary conditions/Reservoir, other than the working electrode, for "
                          "the program's current to enter through");
            deposition_parameters.electrode_potential.erase(id);
            deposition_parameters.current_density.clear();
            deposition_parameters.current_density[deposition_parameters.reservoir[0]] =
              std::make_shared<ProgramCurrent<dim>>(current_program, -1.0);
            working_electrode = id;
          }
        require_input(mesh_builder.adaptive_cycles == 0,
                      "Mesh refinement/Adaptive refinement cycles: transient runs adapt between time steps; set "
                      "it to 0 and use Mesh refinement/Adaptation interval");
      }
    for (const auto &[id, name] : geometry->boundary_names())
      boundary_label[id] = column_name(name);

    checkpoint.parse_parameters(prm);
    output = std::make_unique<OutputWriter>(prm.get("Output directory"), communicator, checkpoint.resume);
    output->set_echo(echo_log);
    output->write_parameters(prm);
  }

  template <int dim>
  void Simulator<dim>::setup_fields(const bool resumed)
  {
    if (solve_deposition)
      {
        deposition_field = std::make_unique<Electrodeposition<dim>>(tria, deposition_parameters);
        deposition_field->setup_dofs();
        host_statistics = std::make_unique<HostStatistics<dim>>(*geometry, *deposition_field);
        if (!host_statistics->active())
          host_statistics.reset();
      }
    if (solve_electrostatics)
      {
        electrostatics_field = std::make_unique<Electrostatics<dim>>(tria, materials, electrostatics_parameters);
        electrostatics_field->setup_dofs();
      }
    if (solve_elasticity)
      {
        elasticity_field = std::make_unique<Elasticity<dim>>(tria, materials, elasticity_parameters);
        elasticity_field->setup_dofs();
      }
    if (solve_damage)
      {
        damage_field = std::make_unique<Damage<dim>>(tria, materials, damage_parameters);
        damage_field->setup_dofs();
      }
    if (solve_transport)
      {
        // The total current of a galvanostatic working electrode is J times its area.
        if (transport_parameters.total_current.count(working_electrode))
          static_cast<ProgramCurrent<dim> &>(*transport_parameters.total_current[working_electrode]).area =
            boundary_area(working_electrode);
        transport_field = std::make_unique<Transport<dim>>(tria, transport_parameters);
        transport_field->setup_dofs();
      }
    if (working_electrode != numbers::invalid_boundary_id && deposition_field)
      {
        // The program's current density is the working electrode's: scale it
        // by the area ratio of working electrode and reservoir.
        auto &current = static_cast<ProgramCurrent<dim> &>(
          *deposition_parameters.current_density.at(deposition_parameters.reservoir[0]));
        current.area = -boundary_area(working_electrode) / boundary_area(deposition_parameters.reservoir[0]);
      }
    // Adaptive runs start with the cells the fields keep refined (an initial
    // interface) at the finest level; a loaded mesh is already adapted.
    Vector<float> keep;
    while (mesh_builder.adaptation_interval > 0 && !resumed)
      {
        cells_to_keep_refined(keep);
        if (mesh_builder.mark_for_refinement(tria, keep) == 0)
          break;
        tria.execute_coarsening_and_refinement();
        for (Field<dim> *field : active_fields())
          field->setup_dofs(); // the initial state on the finer mesh
      }
    if (host_statistics)
      host_statistics->update_mesh();
    connect_quantities();
    update_deposit_region();
  }

  template <int dim>
  void Simulator<dim>::connect_quantities()
  {
    // Every field provides, then every field reads: the order of the fields does not matter.
    for (const Field<dim> *field : active_fields())
      field->provide_quantities(quantities);
    defect_deposit->provide_quantities(quantities);
    for (Field<dim> *field : active_fields())
      field->read_quantities(quantities);
    defect_deposit->read_quantities(quantities);
    std::string text = "Coupled quantities (reader <- quantity (provider)):";
    for (const auto &line : quantities.connections())
      text += "\n  " + line;
    output->log(text);
  }

  template <int dim>
  double Simulator<dim>::boundary_area(const types::boundary_id id) const
  {
    double area = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
            area += cell->face(f)->measure();
    return Utilities::MPI::sum(area, communicator);
  }

  template <int dim>
  std::vector<Field<dim> *> Simulator<dim>::active_fields()
  {
    std::vector<Field<dim> *> fields;
    if (electrostatics_field)
      fields.push_back(electrostatics_field.get());
    if (elasticity_field)
      fields.push_back(elasticity_field.get());
    if (transport_field)
      fields.push_back(transport_field.get());
    if (deposition_field)
      fields.push_back(deposition_field.get());
    if (damage_field)
      fields.push_back(damage_field.get());
    return fields;
  }

  template <int dim>
  TransientField<dim> &Simulator<dim>::transient_field()
  {
    if (transport_field)
      return *transport_field;
    Assert(deposition_field, ExcInternalError());
    return *deposition_field;
  }

  template <int dim>
  void Simulator<dim>::update_deposit_region()
  {
    defect_deposit->update_region();
  }

  template <int dim>
  void Simulator<dim>::parse_failure_criterion(const BoundaryNames &boundary_names)
  {
    prm.enter_subsection("Failure");
    failure.damage_threshold  = prm.get_double("Damage threshold");
    failure.height_fraction   = prm.get_double("Crack height fraction");
    failure.interface_band    = prm.get_double("Near-interface band");
    failure.stop              = prm.get_bool("Stop at failure");
    const std::string counter = prm.get("Counter electrode");
    prm.leave_subsection();
    require_input(failure.height_fraction > 0,
                  "Failure/Crack height fraction = " + format_number(failure.height_fraction) + " must be > 0");
    if (!counter.empty())
      failure.counter_electrode =
        parse_boundary_map(counter + ": 0", "Failure/Counter electrode", boundary_names).begin()->first;
  }

  template <int dim>
  bool Simulator<dim>::failed() const
  {
    const double thickness = geometry->separator_thickness();
    const auto   region    = damage_field->damaged_region(failure.damage_threshold);
    if (thickness > 0 && region.measure > 0 && region.top >= failure.height_fraction * thickness)
      return true;
    if (failure.counter_electrode == numbers::invalid_boundary_id)
      return false;
    const Vector<float> cell_damage = damage_field->cell_damage();
    bool                contact     = false;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->at_boundary() &&
          cell_damage[cell->active_cell_index()] >= failure.damage_threshold)
        for (const unsigned int f : cell->face_indices())
          contact |= cell->at_boundary(f) && cell->face(f)->boundary_id() == failure.counter_electrode;
    return Utilities::MPI::logical_or(contact, communicator);
  }

  template <int dim>
  void Simulator<dim>::solve_fields(const double time)
  {
    // Mechanics first: electrostatics reads the damage of this step.
    if (damage_field)
      solve_fracture(time);
    else if (elasticity_field && !mechanically_coupled()) // coupled: solved within the step
      solve_elasticity_at(time);
    if (electrostatics_field)
      {
        electrostatics_field->set_time(time);
        last_electrostatics_report = electrostatics_field->solve();
      }
  }

  template <int dim>
  void Simulator<dim>::solve_fracture(const double time)
  {
    // Settle d for the current Li region; cells that crack meanwhile join
    // the region (Li follows into them, which changes the plated volume and
    // its pressure) and d is settled again, until the region stays. The
    // region is thus implicit in the step rather than a step behind. Then
    // commit d: the damage of this step bounds that of later ones.
    last_staggered_iterations = 0;
    settle_damage(time);
    const unsigned int region_passes = coupling.region_passes; // 0: the region follows after the commit
    if (region_passes > 0)
      for (unsigned int pass = 1; defect_deposit->grow_region(); ++pass)
        {
          AssertThrow(pass < region_passes, ExcMessage("the Li region still grew into cracks after Coupling/Alternate "
                                                       "minimisation/Region passes = " +
                                                       std::to_string(region_passes)));
          settle_damage(time);
        }
    solve_elasticity_at(time); // the stress of the settled damage
    damage_field->commit();
    update_deposit_region(); // the region of the committed damage
  }

  template <int dim>
  void Simulator<dim>::settle_damage(const double time)
  {
    // Alternate minimisation: elasticity, then damage, until d settles. The
    // split is taken from the committed state of the last step (a lag of one
    // step) so that the passes minimise one energy and converge.
    GroupOfCallbacks fracture;
    fracture.sweep_fields = [&](unsigned int) {
      solve_elasticity_at(time);
      damage_field->solve();
    };
    fracture.state = [&]() { return owned_copy(damage_field->solution()); };
    elasticity_field->freeze_damage_split(true);
    try
      {
        last_staggered_iterations +=
          StaggeredIteration(coupling.alternate_minimisation).solve(fracture, "elasticity and damage").iterations;
      }
    catch (...)
      {
        elasticity_field->freeze_damage_split(false);
        throw;
      }
    elasticity_field->freeze_damage_split(false);
  }

  template <int dim>
  void Simulator<dim>::solve_elasticity_at(const double time)
  {
    defect_deposit->set_time(time);
    elasticity_field->set_time(time);
    last_elasticity_report = elasticity_field->solve();
  }

  template <int dim>
  void Simulator<dim>::solve_mechanics(const double time)
  {
    solve_elasticity_at(time);
    elasticity_field->update_stress_output();
  }

  template <int dim>
  SolverReport Simulator<dim>::advance_coupled(const double dt, const unsigned int order)
  {
    TransientField<dim> &field      = transient_field();
    const double         start_time = field.current_time();
    last_coupling_iterations        = 1;
    if (!mechanically_coupled())
      return field.advance(dt, order);
    // Pass k advances the transient field with the stress of the last pass
    // (the first: of the last step), then solves the mechanics it causes.
    SolverReport     report;
    GroupOfCallbacks mechanics;
    mechanics.sweep_fields = [&](const unsigned int pass) {
      if (pass > 1)
        field.reject_step();
      const auto advanced = field.advance(dt, order);
      if (pass == 1)
        report = advanced;
      else
        {
          report.iterations += advanced.iterations;
          report.linear_iterations += advanced.linear_iterations;
        }
      solve_mechanics(field.current_time());
    };
    mechanics.state     = [&]() { return owned_copy(elasticity_field->solution()); };
    mechanics.set_state = [&](const LA::MPI::Vector &u) {
      elasticity_field->set_solution(u);
      elasticity_field->update_stress_output();
    };
    try
      {
        last_coupling_iterations = StaggeredIteration(coupling.staggered)
                                     .solve(mechanics, "coupling of " + field.name() + " and elasticity")
                                     .iterations;
      }
    catch (...)
      {
        // Back to the start of the step: the phase field, then the stress it causes.
        if (field.current_time() > start_time)
          field.reject_step();
        solve_mechanics(start_time);
        throw;
      }
    return report;
  }

  template <int dim>
  bool Simulator<dim>::cells_to_keep_refined(Vector<float> &keep)
  {
    keep.reinit(tria.n_active_cells());
    Vector<float> field_keep;
    bool          any = false;
    for (const Field<dim> *field : active_fields())
      if (field->cells_to_keep_refined(field_keep))
        {
          keep += field_keep;
          any = true;
        }
    return any;
  }

  template <int dim>
  void Simulator<dim>::adapt_mesh()
  {
    Vector<float> indicators(tria.n_active_cells()), field_indicators;
    const auto    add_scaled = [&](const Vector<float> &v) {
      const double max = Utilities::MPI::max(static_cast<double>(v.linfty_norm()), communicator);
      if (max > 0)
        indicators.add(1.0 / max, v);
    };
    for (const Field<dim> *field : active_fields())
      {
        field->estimate_error(field_indicators);
        add_scaled(field_indicators);
      }
    // Cells a field keeps at the finest level (a diffuse interface) stay there.
    Vector<float> keep;
    const bool    any_kept = cells_to_keep_refined(keep);
    mesh_builder.mark_for_adaptation(tria, indicators, any_kept ? &keep : nullptr);
    tria.prepare_coarsening_and_refinement();
    for (Field<dim> *field : active_fields())
      field->prepare_for_transfer();
    tria.execute_coarsening_and_refinement();
    for (Field<dim> *field : active_fields())
      field->finish_transfer();
    update_deposit_region();
    if (host_statistics)
      host_statistics->update_mesh();
  }

  template <int dim>
  void Simulator<dim>::record_step(const unsigned int step, const double time)
  {
    auto &s = statistics_table;
    s.add_value("step", "", step);
    s.add_value("time", "s", time);
    s.add_value("cells", "", tria.n_global_active_cells());
    s.add_value("wall_time", "s", wall_clock.wall_time());
    if (electrostatics_field)
      electrostatics_field->add_statistics(s, boundary_label);
    typename Elasticity<dim>::StressSummary stress;
    if (elasticity_field)
      stress = add_elasticity_columns();
    if (damage_field)
      add_damage_columns(time, stress.max_principal);
    if (elasticity_field)
      {
        s.add_value("deposit_eigenstrain", "", defect_deposit->eigenstrain(time));
        s.add_value("plated_" + std::string(dim == 2 ? "area" : "volume"), dim == 2 ? "m^2" : "m^3",
                    defect_deposit->plated_volume(time));
        s.add_value("li_region_" + std::string(dim == 2 ? "area" : "volume"), dim == 2 ? "m^2" : "m^3",
                    defect_deposit->region_measure());
      }
    s.end_row();
    output->write_statistics(s);
    record_probes(step, time);
  }

  template <int dim>
  void Simulator<dim>::add_damage_columns(const double time, const double peak_principal)
  {
    auto &s = statistics_table;
    s.add_value("damage_dofs", "", damage_field->n_dofs());
    s.add_value("staggered_iterations", "", last_staggered_iterations);
    s.add_value("max_damage", "", damage_field->solution().linfty_norm());
    const auto   region = damage_field->damaged_region(failure.damage_threshold, failure.interface_band);
    DamageRecord record;
    record.time               = time;
    record.damaged_measure    = region.measure;
    record.measure_below_band = region.measure_below_band;
    record.crack_top          = region.top;
    record.centroid_height    = region.centroid_height;
    record.peak_principal     = peak_principal;
    record.failed             = time_of_failure >= 0;
    damage_records.push_back(record);
    const auto unit = dim == 2 ? "m^2" : "m^3";
    s.add_value("damaged_" + std::string(dim == 2 ? "area" : "volume"), unit, record.damaged_measure);
    s.add_value("crack_top", "m", record.crack_top);
    s.add_value("damage_centroid_height", "m", record.centroid_height);
    s.add_value("damage_near_interface_fraction", "",
                record.damaged_measure > 0 ? record.measure_below_band / record.damaged_measure : 0.0);
    s.add_value("step_cuts", "", step_cuts);
    s.add_value("failed", "", record.failed ? 1 : 0);
  }

  template <int dim>
  typename Elasticity<dim>::StressSummary Simulator<dim>::add_elasticity_columns()
  {
    auto &s = statistics_table;
    s.add_value("elasticity_dofs", "", elasticity_field->n_dofs());
    s.add_value("elasticity_cg_iterations", "", last_elasticity_report.iterations);
    const auto summary = elasticity_field->stress_summary(summary_material_ids);
    s.add_value("max_principal_stress", "Pa", summary.max_principal);
    const char *axes = "xyz";
    for (unsigned int d = 0; d < dim; ++d)
      s.add_value(std::string("max_principal_stress_") + axes[d], "m", summary.max_principal_location[d]);
    s.add_value("max_von_mises_stress", "Pa", summary.max_von_mises);
    s.add_value("min_hydrostatic_stress", "Pa", summary.min_hydrostatic);
    s.add_value("max_hydrostatic_stress", "Pa", summary.max_hydrostatic);
    // Several materials: each one's share, to see which carries the stress.
    if (summary_material_label.size() > 1)
      for (const auto &[id, label] : summary_material_label)
        {
          const auto own = elasticity_field->stress_summary({id});
          s.add_value("max_principal_stress_" + label, "Pa", own.max_principal);
          s.add_value("max_von_mises_stress_" + label, "Pa", own.max_von_mises);
        }
    return summary;
  }

  template <int dim>
  void Simulator<dim>::record_probes(const unsigned int step, const double time)
  {
    if (probes->points().empty())
      return;
    probe_table.add_value("step", "", step);
    probe_table.add_value("time", "s", time);
    for (const Field<dim> *field : active_fields())
      {
        const auto quantities = field->probe_quantities();
        const auto values     = field->probe(*probes);
        for (unsigned int p = 0; p < values.size(); ++p)
          for (unsigned int c = 0; c < quantities.size(); ++c)
            probe_table.add_value("p" + std::to_string(p) + "_" + quantities[c].first, quantities[c].second,
                                  values[p][c]);
      }
    probe_table.end_row();
    output->write_probes(probe_table);
  }

  template <int dim>
  void Simulator<dim>::write_output(const unsigned int step, const double time)
  {
    if (!write_vtu)
      return;
    DataOut<dim> data_out;
    data_out.attach_triangulation(tria);
    for (const Field<dim> *field : active_fields())
      field->add_output(data_out);
    Vector<float> material_id(tria.n_active_cells()), subdomain(tria.n_active_cells()),
      li_indicator(tria.n_active_cells());
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          material_id(cell->active_cell_index())  = cell->material_id();
          subdomain(cell->active_cell_index())    = tria.locally_owned_subdomain();
          li_indicator(cell->active_cell_index()) = geometry->initial_li_indicator(cell->center());
        }
    data_out.add_data_vector(material_id, "material_id");
    data_out.add_data_vector(subdomain, "subdomain");
    data_out.add_data_vector(li_indicator, "initial_li_indicator");
    data_out.add_data_vector(defect_deposit->dof_handler(), defect_deposit->indicator(), "deposit");
    const unsigned int degree = std::max({electrostatics_parameters.degree, elasticity_parameters.degree,
                                          transport_parameters.degree, deposition_parameters.degree});
    data_out.build_patches(MappingQ<dim>(degree), degree);
    output->write_solution(data_out, time, step);
  }

  template <int dim>
  void Simulator<dim>::run()
  {
    std::ostringstream banner;
    banner << "Dendra: " << dim << "D, " << Utilities::MPI::n_mpi_processes(communicator) << " MPI rank(s), "
           << LA::backend_name << " linear algebra\n"
           << "Geometry: " << geometry->description();
    output->log(banner.str());

    catch_termination_signals();
    const Checkpointer checkpoints(output->directory(), communicator);
    LoopState          start;
    start.next_dt = time_stepper.initial_dt;
    if (checkpoint.resume)
      {
        std::string run_state;
        mesh_builder.load(*geometry, tria, [&]() { run_state = checkpoints.load(tria); });
        setup_fields(true);
        start = restore_run_state(run_state); // the fields' times first: their constraints
        for (Field<dim> *field : active_fields())
          field->deserialize();
        if (host_statistics)
          host_statistics->update_mesh();
        if (elasticity_field)
          elasticity_field->update_stress_output(); // the stress the kinetics read
        update_deposit_region();
        output->log("Resumed from " + checkpoints.directory() + " after step " + std::to_string(start.step));
      }
    else
      {
        mesh_builder.build(*geometry, tria);
        mesh_builder.renumber_cells_as_loaded(*geometry, tria, output->directory());
        setup_fields(false);
      }
    output->log("Mesh: " + std::to_string(tria.n_global_active_cells()) + " cells");

    if (active_fields().empty())
      {
        // No field: the run only builds the mesh and writes it (material ids).
        write_output(0, 0.0);
        output->log("Simulation/Fields is empty: mesh written, nothing solved");
      }
    else if (transport_field || deposition_field)
      run_transient(start);
    else
      run_quasi_static(start.step + 1);
    report_summary();
  }

  template <int dim>
  void Simulator<dim>::save_checkpoint(const LoopState &loop)
  {
    // The run's own state, exactly (17 digits); the fields attach their vectors to the mesh.
    std::ostringstream state;
    state << std::setprecision(17) << "dendra-checkpoint 2\nstep " << loop.step << "\ntime " << loop.time
          << "\nnext_dt " << loop.next_dt << "\nrestart " << loop.restart << "\ntime_of_failure " << time_of_failure
          << "\n";
    for (const Field<dim> *field : active_fields())
      field->save_state(state);
    if (host_statistics)
      host_statistics->save_state(state);
    defect_deposit->save_state(state);
    state << "\ndamage_records " << damage_records.size() << "\n";
    for (const auto &r : damage_records)
      state << r.time << ' ' << r.damaged_measure << ' ' << r.measure_below_band << ' ' << r.crack_top << ' '
            << r.centroid_height << ' ' << r.peak_principal << ' ' << r.failed << "\n";
    state << "solution_records " << output->solution_records().size() << "\n";
    for (const auto &[t, file] : output->solution_records())
      state << t << ' ' << file << "\n";
    statistics_table.save(state);
    probe_table.save(state);
    const Checkpointer checkpoints(output->directory(), communicator);
    checkpoints.save(
      tria,
      [this]() {
        for (Field<dim> *field : active_fields())
          field->prepare_for_serialization();
      },
      state.str());
  }

  template <int dim>
  typename Simulator<dim>::LoopState Simulator<dim>::restore_run_state(const std::string &text)
  {
    std::istringstream in(text);
    std::string        word;
    unsigned int       version = 0;
    std::size_t        n       = 0;
    LoopState          loop;
    in >> word >> version;
    require_input(word == "dendra-checkpoint" && version == 2, "--resume: the checkpoint is not one of this version");
    in >> word >> loop.step >> word >> loop.time >> word >> loop.next_dt >> word >> loop.restart >> word >>
      time_of_failure;
    for (Field<dim> *field : active_fields())
      field->load_state(in);
    if (host_statistics)
      host_statistics->load_state(in);
    defect_deposit->load_state(in);
    in >> word >> n;
    damage_records.resize(n);
    for (auto &r : damage_records)
      in >> r.time >> r.damaged_measure >> r.measure_below_band >> r.crack_top >> r.centroid_height >>
        r.peak_principal >> r.failed;
    in >> word >> n;
    std::vector<std::pair<double, std::string>> records(n);
    for (auto &[t, file] : records)
      in >> t >> file;
    output->resume(records);
    statistics_table.load(in);
    probe_table.load(in);
    AssertThrow(static_cast<bool>(in), ExcMessage("the checkpoint's run state is damaged"));
    return loop;
  }

  template <int dim>
  void Simulator<dim>::checkpoint_if_due(const LoopState &loop)
  {
    const int signal = termination_requested(communicator);
    if (signal != 0 || (checkpoint.interval > 0 && loop.step % checkpoint.interval == 0))
      save_checkpoint(loop);
    if (signal != 0)
      throw TerminatedBySignal(signal, "stopped by signal " + std::to_string(signal) + " after step " +
                                         std::to_string(loop.step) + " (t = " + format_number(loop.time) +
                                         " s); checkpoint written, continue with --resume");
  }

  template <int dim>
  void Simulator<dim>::advance_quasi_static(const double start, const double time)
  {
    // With damage a failed staggered solve (a crack running in one step) is
    // retried from the committed damage over half the remaining increment.
    StepOfCallbacks step;
    step.solve = [&](const double reached, const double target) {
      if (damage_field)
        damage_field->set_time_step(target - reached);
      for (unsigned int cycle = 0; cycle < mesh_builder.adaptive_cycles; ++cycle)
        {
          solve_fields(target);
          adapt_mesh();
        }
      solve_fields(target);
      defect_deposit->commit(target);
    };
    step.back_to_committed = [&]() {
      damage_field->reset();
      update_deposit_region(); // the region of the committed damage
    };
    step_cuts = advance_with_step_halving(step, start, time, damage_field ? coupling.step_halvings : 0,
                                          [&](const std::string &line) { output->log(line); });
  }

  template <int dim>
  void Simulator<dim>::run_quasi_static(const unsigned int first_step)
  {
    for (unsigned int step = first_step; step <= n_steps; ++step)
      {
        const double time = end_time * step / n_steps;
        try
          {
            advance_quasi_static(end_time * (step - 1) / n_steps, time);
          }
        catch (const InputError &)
          {
            throw;
          }
        catch (const std::exception &e)
          {
            throw std::runtime_error("step " + std::to_string(step) + " (t = " + format_number(time) +
                                     " s): " + one_line_message(e));
          }
        if (elasticity_field)
          elasticity_field->update_stress_output();
        const bool fails_now = damage_field && time_of_failure < 0 && failed();
        if (fails_now)
          time_of_failure = time;
        record_step(step, time);
        write_output(step, time);

        std::ostringstream progress;
        const double       elapsed = wall_clock.wall_time();
        progress << "step " << step << "/" << n_steps << "  t = " << time << " s  dt = " << end_time / n_steps
                 << " s  cells " << tria.n_global_active_cells();
        if (electrostatics_field)
          progress << "  phi: " << electrostatics_field->n_dofs() << " dofs, " << last_electrostatics_report.iterations
                   << " CG it";
        if (elasticity_field)
          progress << "  u: " << elasticity_field->n_dofs() << " dofs, " << last_elasticity_report.iterations
                   << " CG it";
        if (damage_field)
          progress << "  d: " << last_staggered_iterations << " staggered it";
        progress << "  elapsed " << std::setprecision(3) << elapsed << " s, ETA " << elapsed / step * (n_steps - step)
                 << " s";
        output->log(progress.str());
        LoopState done;
        done.step = step;
        done.time = time;
        checkpoint_if_due(done);
        if (fails_now && report_failure(time))
          break;
      }
  }

  template <int dim>
  void Simulator<dim>::run_transient(const LoopState start)
  {
    TransientField<dim> &field = transient_field();
    double               time = start.time, dt = start.next_dt;
    if (mechanically_coupled() && start.step == 0)
      solve_mechanics(time); // stack pressure acts from the first step
    unsigned int step = start.step, rejected = 0;
    bool         restart = start.restart; // BDF1 after a jump of the applied current
    // A failed solve is retried smaller; after_failed_step() gives up below the minimum step.
    const auto retry_smaller = [&](const std::string &what) {
      dt = time_stepper.after_failed_step(dt, what);
      output->log("  retrying " + what + "; dt cut to " + format_number(dt) + " s");
      ++rejected;
    };
    while (time < end_time * (1 - 1e-12))
      {
        dt                       = std::min(dt, end_time - time);
        const double next_change = current_program.next_change(time);
        dt                       = std::min(dt, next_change - time); // land on current changes
        SolverReport report;
        if (restart)
          field.forget_history(); // no extrapolation across a jump of the current
        try
          {
            report = advance_coupled(dt, restart ? 1 : time_stepper.order);
          }
        catch (const InputError &)
          {
            throw;
          }
        catch (const std::exception &e)
          {
            retry_smaller("step " + std::to_string(step + 1) + " (t = " + format_number(time) +
                          " s): " + one_line_message(e));
            continue;
          }
        const auto [error, error_order] = field.local_error_estimate();
        const auto decision             = time_stepper.after_converged_step(dt, error, report.iterations, error_order);
        if (!decision.accept)
          {
            undo_transient_step(time); // the local error is too large: redo it smaller
            dt = decision.next_dt;
            ++rejected;
            continue;
          }
        try
          {
            solve_quasi_static_at(time + dt, dt); // quasi-static fields at the new time
          }
        catch (const InputError &)
          {
            throw;
          }
        catch (const std::exception &e)
          {
            // A crack that does not settle within the step: undo the step, retry smaller.
            if (damage_field)
              {
                damage_field->reset();
                update_deposit_region(); // the region of the committed damage
              }
            undo_transient_step(time);
            retry_smaller("step " + std::to_string(step + 1) + " (t = " + format_number(time + dt) +
                          " s): " + one_line_message(e));
            continue;
          }
        time += dt;
        restart = (time >= next_change * (1 - 1e-12));
        ++step;
        const bool fails_now = damage_field && time_of_failure < 0 && failed();
        if (fails_now)
          time_of_failure = time;
        record_transient(report, rejected, dt);
        write_output(step, time);
        if (mesh_builder.adaptation_interval > 0 && step % mesh_builder.adaptation_interval == 0)
          {
            adapt_mesh(); // the fields are transferred; quasi-static ones are solved again next step
            if (mechanically_coupled())
              solve_mechanics(time); // the kinetics need the stress on the new mesh
          }

        std::ostringstream progress;
        const double       elapsed = wall_clock.wall_time();
        progress << "step " << step << "  t = " << time << " s  dt = " << dt << " s  Newton " << report.iterations
                 << "  rejected " << rejected << "  elapsed " << std::setprecision(3) << elapsed << " s, ETA "
                 << elapsed / time * (end_time - time) << " s";
        output->log(progress.str());
        rejected = 0;
        // A jump of the current starts a new boundary layer: start small again.
        dt = restart ? time_stepper.initial_dt : decision.next_dt;
        checkpoint_if_due({step, time, dt, restart});
        if (fails_now && report_failure(time))
          break;
      }
  }

  template <int dim>
  void Simulator<dim>::solve_quasi_static_at(const double time, const double dt)
  {
    if (damage_field)
      damage_field->set_time_step(dt);
    solve_fields(time);
    // The stress the kinetics read next: of the settled damage, or of the
    // quasi-static elasticity (coupled runs solve it within the step).
    if (elasticity_field && (!mechanically_coupled() || damage_field))
      elasticity_field->update_stress_output();
  }

  template <int dim>
  void Simulator<dim>::undo_transient_step(const double start)
  {
    transient_field().reject_step();
    if (mechanically_coupled())
      solve_mechanics(start); // the stress of the start, which the kinetics read
  }

  template <int dim>
  bool Simulator<dim>::report_failure(const double time)
  {
    output->log("Failure at t = " + format_number(time) + " s: cracked electrolyte (d > " +
                format_number(failure.damage_threshold) + ") reaches the failure height or the counter electrode");
    return failure.stop;
  }

  template <int dim>
  void Simulator<dim>::record_transient(const SolverReport &newton, const unsigned int rejected, const double dt)
  {
    auto                &s     = statistics_table;
    TransientField<dim> &field = transient_field();
    const double         time  = field.current_time();
    add_transient_step_columns(time, dt);
    s.add_value("newton_iterations", "", newton.iterations);
    s.add_value("linear_iterations", "", newton.linear_iterations);
    s.add_value("rejected_steps", "", rejected);
    field.add_statistics(s, boundary_label);
    add_working_electrode_columns(time);
    if (host_statistics)
      host_statistics->add_columns(s, dt);
    add_transient_mechanics_columns(time);
    s.end_row();
    output->write_statistics(s);
    record_probes(s.n_rows(), time);
  }

  template <int dim>
  void Simulator<dim>::add_working_electrode_columns(const double time)
  {
    if (working_electrode == numbers::invalid_boundary_id)
      return;
    auto &s = statistics_table;
    s.add_value("applied_current_density", "A/m^2", current_program.current_density_before(time));
    if (deposition_field)
      {
        // The floating collector (metal) against the reservoir: the cell's overpotential.
        const double metal = deposition_field->boundary_potential(working_electrode);
        s.add_value("electrode_potential", "V", metal);
        s.add_value("cell_voltage", "V",
                    metal - deposition_field->boundary_potential(deposition_parameters.reservoir[0]));
        return;
      }
    // Two electrodes with potentials: the cell voltage, working minus counter.
    std::set<types::boundary_id> with_potential;
    for (const auto *map : {&transport_parameters.electrode_potential, &transport_parameters.total_current})
      for (const auto &[id, f] : *map)
        with_potential.insert(id);
    if (with_potential.size() == 2 && with_potential.count(working_electrode))
      {
        const auto counter =
          *with_potential.begin() == working_electrode ? *with_potential.rbegin() : *with_potential.begin();
        s.add_value("cell_voltage", "V",
                    transport_field->electrode_potential(working_electrode) -
                      transport_field->electrode_potential(counter));
      }
  }

  template <int dim>
  void Simulator<dim>::add_transient_mechanics_columns(const double time)
  {
    if (!mechanically_coupled())
      return;
    statistics_table.add_value("coupling_iterations", "", last_coupling_iterations);
    const auto stress = add_elasticity_columns();
    if (damage_field)
      add_damage_columns(time, stress.max_principal);
  }

  template <int dim>
  void Simulator<dim>::add_transient_step_columns(const double time, const double dt)
  {
    auto &s = statistics_table;
    s.add_value("step", "", s.n_rows() + 1);
    s.add_value("time", "s", time);
    s.add_value("time_step", "s", dt);
    s.add_value("cells", "", tria.n_global_active_cells());
    s.add_value("wall_time", "s", wall_clock.wall_time());
  }

  template <int dim>
  void Simulator<dim>::report_summary()
  {
    for (const Field<dim> *field : active_fields())
      {
        const std::string text = field->summary(boundary_label);
        if (!text.empty())
          output->log(text);
      }
    if (elasticity_field)
      {
        const auto         summary = elasticity_field->stress_summary(summary_material_ids);
        std::ostringstream text;
        const std::string  where = summary_material_names.empty() ? "all materials" : summary_material_names;
        text << std::setprecision(4) << "Maximum principal stress in " << where << ": " << summary.max_principal / 1e6
             << " MPa at " << format_point(summary.max_principal_location, 1e-6) << " um\n"
             << "Maximum von Mises stress in " << where << ": " << summary.max_von_mises / 1e6 << " MPa at "
             << format_point(summary.max_von_mises_location, 1e-6) << " um";
        output->log(text.str());
      }
    output->log("Output written to " + output->directory() + "/");
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

#include <dendra/base/exceptions.h>
#include <dendra/coupling/time_stepping.h>
#include <dendra/fields/transport.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/numerics/data_postprocessor.h>
#include <deal.II/numerics/vector_tools.h>

#include <cmath>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// Writes the salt concentration c = c0 u (mol/m^3; 0 in single-ion
    /// regions, which hold no salt), the electrostatic potential phi (V) and
    /// the reference potential Phi = RT/(z+ F) w (V, continuous).
    template <int dim>
    class PhysicalUnits : public DataPostprocessor<dim>
    {
    public:
      PhysicalUnits(const double c0, const double volts, const std::map<types::material_id, double> &single_ion)
        : c0(c0)
        , volts(volts)
        , single_ion(single_ion)
      {}
      void evaluate_vector_field(const DataPostprocessorInputs::Vector<dim> &inputs,
                                 std::vector<Vector<double>>                &computed) const override
      {
        const bool binary = !single_ion.count(inputs.template get_cell<dim>()->material_id());
        for (unsigned int q = 0; q < inputs.solution_values.size(); ++q)
          {
            const double u = binary ? inputs.solution_values[q](0) : 1.0, w = inputs.solution_values[q](1);
            computed[q](0) = binary ? c0 * u : 0.0;
            computed[q](1) = volts * (w - std::log(std::max(u, 1e-12)));
            computed[q](2) = volts * w;
          }
      }
      std::vector<std::string> get_names() const override
      {
        return {"concentration", "electrolyte_potential", "reference_potential"};
      }
      UpdateFlags get_needed_update_flags() const override { return update_values; }

    private:
      double                               c0, volts;
      std::map<types::material_id, double> single_ion;
    };

    /// (c, phi) in SI units seen as the scaled unknowns u = c / c0 and
    /// w = ln u + z+ F phi / (R T).
    template <int dim>
    class ScaledState : public Function<dim>
    {
    public:
      ScaledState(const Function<dim> &physical, const double c0, const double volts)
        : Function<dim>(2)
        , physical(physical)
        , c0(c0)
        , volts(volts)
      {}
      double value(const Point<dim> &p, const unsigned int component) const override
      {
        const double u = physical.value(p, 0) / c0;
        if (component == 0)
          return u;
        require_input(u > 0, "Transport: the concentration must be > 0 where the state is set");
        return std::log(u) + physical.value(p, 1) / volts;
      }

    private:
      const Function<dim> &physical;
      double               c0, volts;
    };
  } // namespace

  template <int dim>
  void Transport<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Transport");
    prm.declare_entry("Polynomial degree", "1", Patterns::Integer(1, 3), "Degree of c and phi (-).");
    prm.declare_entry("Cation valence", "1", Patterns::Double(0), "z+ (-), > 0.");
    prm.declare_entry("Anion valence", "-1", Patterns::Double(), "z- (-), < 0.");
    prm.declare_entry("Cation diffusivity", "1e-10", Patterns::Double(0), "D+ (m^2/s), > 0.");
    prm.declare_entry("Anion diffusivity", "3e-10", Patterns::Double(0), "D- (m^2/s), > 0.");
    prm.declare_entry("Bulk concentration", "1000", Patterns::Double(0),
                      "Initial and reservoir cation concentration c0 (mol/m^3), > 0.");
    prm.declare_entry("Temperature", "298.15", Patterns::Double(0), "T (K), > 0.");
    prm.enter_subsection("Boundary conditions");
    prm.declare_entry("Reservoir", "", Patterns::Anything(),
                      "Comma-separated boundaries (ids or names) held at c = c0 and phi = 0.");
    prm.declare_entry("Current density", "", Patterns::Anything(),
                      "Electrodes 'b: i(x, y, z, t); ...' with a prescribed current density into the electrolyte "
                      "(A/m^2; anodic > 0, plating < 0).");
    prm.declare_entry(
      "Electrode potential", "", Patterns::Anything(),
      "Potentiostatic electrodes 'b: phi_s(x, y, z, t); ...' (V) with the kinetics of subsection Kinetics.");
    prm.leave_subsection();
    prm.declare_entry("Single-ion conductors", "LLZO", Patterns::Anything(),
                      "Comma-separated materials (names of subsection Materials) that conduct Li+ only (t+ = 1, "
                      "uniform c), with their Ionic conductivity; all other cells are binary electrolyte.");
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, default_linear_solver());
    prm.leave_subsection();
    prm.declare_entry("Newton iterations", "30", Patterns::Integer(1), "Newton iteration limit per step (-).");
    prm.declare_entry("Newton tolerance", "1e-10", Patterns::Double(0, 1), "Relative residual reduction (-).");
    prm.leave_subsection();
    ElectrodeKinetics::declare_parameters(prm);
  }

  template <int dim>
  LinearSolverSettings Transport<dim>::Parameters::default_linear_solver()
  {
    LinearSolverSettings settings;
    settings.relative_tolerance = 1e-8;
    settings.max_iterations     = 200;
    return settings;
  }

  template <int dim>
  void Transport<dim>::Parameters::parse_parameters(ParameterHandler &prm, const BoundaryNames &names,
                                                    const MaterialLibrary &materials)
  {
    prm.enter_subsection("Transport");
    degree             = prm.get_integer("Polynomial degree");
    cation_valence     = prm.get_double("Cation valence");
    anion_valence      = prm.get_double("Anion valence");
    cation_diffusivity = prm.get_double("Cation diffusivity");
    anion_diffusivity  = prm.get_double("Anion diffusivity");
    bulk_concentration = prm.get_double("Bulk concentration");
    temperature        = prm.get_double("Temperature");
    prm.enter_subsection("Boundary conditions");
    const std::string where = "Transport/Boundary conditions/";
    reservoir.clear();
    for (const auto &[id, unused] : parse_boundary_map(
           [&] {
             std::string text;
             for (const auto &b : split_top_level(prm.get("Reservoir"), ','))
               if (!b.empty())
                 text += b + ": 0;";
             return text;
           }(),
           where + "Reservoir", names))
      reservoir.push_back(id);
    current_density = parse_boundary_functions<dim>(prm.get("Current density"), 1, where + "Current density", names);
    electrode_potential =
      parse_boundary_functions<dim>(prm.get("Electrode potential"), 1, where + "Electrode potential", names);
    prm.leave_subsection();
    single_ion_conductivity.clear();
    for (const auto &name : split_top_level(prm.get("Single-ion conductors"), ','))
      if (!name.empty())
        {
          const Material &m = materials.by_name(name, "Transport/Single-ion conductors");
          require_input(m.ionic_conductivity > 0, "Transport/Single-ion conductors: material '" + name +
                                                    "' has Ionic conductivity 0; set it in subsection Materials");
          single_ion_conductivity[m.id] = m.ionic_conductivity;
        }
    prm.enter_subsection("Linear solver");
    linear_solver.parse_parameters(prm);
    prm.leave_subsection();
    newton_max_iterations = prm.get_integer("Newton iterations");
    newton_tolerance      = prm.get_double("Newton tolerance");
    prm.leave_subsection();
    kinetics = ElectrodeKinetics::create(prm);
    for (const auto &[name, value] : {std::pair<std::string, double>{"Cation valence", cation_valence},
                                      {"Cation diffusivity", cation_diffusivity},
                                      {"Anion diffusivity", anion_diffusivity},
                                      {"Bulk concentration", bulk_concentration},
                                      {"Temperature", temperature}})
      require_input(value > 0, "Transport/" + name + " = " + format_number(value) + " must be > 0");
    require_input(anion_valence < 0, "Transport/Anion valence = " + format_number(anion_valence) + " must be < 0");
  }

  template <int dim>
  double Transport<dim>::Parameters::ambipolar_diffusivity() const
  {
    const double zp = cation_valence, zm = anion_valence, dp = cation_diffusivity, dm = anion_diffusivity;
    return dp * dm * (zp - zm) / (zp * dp - zm * dm);
  }

  template <int dim>
  double Transport<dim>::Parameters::cation_transference() const
  {
    const double zp = cation_valence, zm = anion_valence, dp = cation_diffusivity, dm = anion_diffusivity;
    return zp * dp / (zp * dp - zm * dm);
  }

  template <int dim>
  Transport<dim>::Transport(const parallel::distributed::Triangulation<dim> &tria, const Parameters &parameters)
    : Field<dim>(tria, std::make_unique<FESystem<dim>>(FE_Q<dim>(parameters.degree), 2))
    , parameters(parameters)
    , physical_units(std::make_unique<PhysicalUnits<dim>>(parameters.bulk_concentration,
                                                          thermal_voltage() / parameters.cation_valence,
                                                          parameters.single_ion_conductivity))
  {
    require_input((parameters.electrode_potential.empty() && parameters.total_current.empty()) || parameters.kinetics,
                  "Transport: potentiostatic electrodes need kinetics (subsection Kinetics)");
    require_input(!parameters.reservoir.empty() || !parameters.electrode_potential.empty() ||
                    !parameters.total_current.empty() || !parameters.dirichlet.empty(),
                  "Transport/Boundary conditions: name a Reservoir or an Electrode potential; otherwise phi is "
                  "undetermined");
  }

  template <int dim>
  IndexSet Transport<dim>::find_single_ion_concentration_dofs() const
  {
    // Concentration DoFs of locally owned cells that no binary-electrolyte
    // cell touches: no salt balance lives there.
    IndexSet                             binary(dofs.n_dofs()), single(dofs.n_dofs());
    std::vector<types::global_dof_index> indices(fe->n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() || cell->is_ghost())
        {
          cell->get_dof_indices(indices);
          const bool is_binary = !parameters.single_ion_conductivity.count(cell->material_id());
          for (unsigned int i = 0; i < indices.size(); ++i)
            if (fe->system_to_component_index(i).first == 0)
              {
                if (is_binary)
                  binary.add_index(indices[i]);
                else if (cell->is_locally_owned())
                  single.add_index(indices[i]);
              }
        }
    single.subtract_set(binary);
    return single;
  }

  template <int dim>
  void Transport<dim>::add_region_constraints(AffineConstraints<double> &c, const double value) const
  {
    for (const auto i : single_ion_dofs)
      if (c.can_store_line(i) && !c.is_constrained(i))
        {
          c.add_line(i);
          c.set_inhomogeneity(i, value);
        }
  }

  template <int dim>
  void Transport<dim>::add_boundary_constraints(AffineConstraints<double> &c)
  {
    // c = c0 and phi = 0: u = 1, w = 0.
    for (const auto id : parameters.reservoir)
      VectorTools::interpolate_boundary_values(mapping, dofs, id,
                                               Functions::ConstantFunction<dim>(std::vector<double>{1.0, 0.0}), c);
    for (const auto &[id, function] : parameters.dirichlet)
      {
        function->set_time(time);
        VectorTools::interpolate_boundary_values(
          mapping, dofs, id,
          ScaledState<dim>(*function, parameters.bulk_concentration, thermal_voltage() / parameters.cation_valence), c);
      }
    single_ion_dofs = find_single_ion_concentration_dofs();
    add_region_constraints(c, 1.0); // u = 1: the Li+ concentration of a single-ion conductor is fixed
  }

  template <int dim>
  void Transport<dim>::setup_dofs()
  {
    Field<dim>::setup_dofs();
    zero_constraints.clear();
    zero_constraints.reinit(locally_relevant);
    DoFTools::make_hanging_node_constraints(dofs, zero_constraints);
    for (const auto id : parameters.reservoir)
      VectorTools::interpolate_boundary_values(mapping, dofs, id, Functions::ZeroFunction<dim>(2), zero_constraints);
    for (const auto &[id, unused] : parameters.dirichlet)
      VectorTools::interpolate_boundary_values(mapping, dofs, id, Functions::ZeroFunction<dim>(2), zero_constraints);
    add_region_constraints(zero_constraints, 0.0);
    zero_constraints.close();
    block_dofs = {DoFTools::extract_dofs(dofs, fe->component_mask(FEValuesExtractors::Scalar(0))),
                  DoFTools::extract_dofs(dofs, fe->component_mask(FEValuesExtractors::Scalar(1)))};

    LA::MPI::Vector initial(locally_owned, communicator);
    VectorTools::interpolate(mapping, dofs, Functions::ConstantFunction<dim>(std::vector<double>{1.0, 0.0}), initial);
    constraints.distribute(initial);
    reset_history(initial);
    for (const auto &[id, f] : parameters.total_current)
      galvanostatic_potential.emplace(id, 0.0); // V; found by Newton in the first step
  }

  template <int dim>
  void Transport<dim>::set_state(const Function<dim> &c_and_phi)
  {
    LA::MPI::Vector state(locally_owned, communicator);
    VectorTools::interpolate(
      mapping, dofs,
      ScaledState<dim>(c_and_phi, parameters.bulk_concentration, thermal_voltage() / parameters.cation_valence), state);
    this->make_constraints();
    constraints.distribute(state);
    reset_history(state);
  }

  template <int dim>
  void Transport<dim>::reset_history(const LA::MPI::Vector &state)
  {
    locally_relevant_solution.reinit(locally_owned, locally_relevant, communicator);
    locally_relevant_solution = state;
    old_solution              = locally_relevant_solution;
    older_solution            = locally_relevant_solution;
    oldest_solution           = locally_relevant_solution;
    past_dt                   = {{0.0, 0.0}};
    valid_history             = 0;
    undo.possible             = false;
    last_error                = {-1.0, 0};
  }

  template <int dim>
  void Transport<dim>::forget_history()
  {
    valid_history = 0;
  }

  template <int dim>
  void Transport<dim>::reject_step()
  {
    AssertThrow(undo.possible, ExcMessage("Transport::reject_step(): no step to reject"));
    time                      = undo.time;
    past_dt                   = undo.past_dt;
    valid_history             = undo.valid_history;
    galvanostatic_potential   = undo.potentials;
    old_solution              = older_solution;
    older_solution            = oldest_solution;
    oldest_solution           = undo.oldest;
    locally_relevant_solution = old_solution;
    undo.possible             = false;
    last_error                = {-1.0, 0};
  }

  template <int dim>
  std::pair<double, unsigned int> Transport<dim>::estimate_local_error(const LA::MPI::Vector &state,
                                                                       const unsigned int     order) const
  {
    // Milne's device: compare the solution with the polynomial extrapolation
    // of the past states; for the concentration only (the potential follows
    // it algebraically), in units of c0, as the largest nodal value.
    if (valid_history == 0)
      return {-1.0, 0};
    const double dt = step_dt, dt1 = past_dt[0], dt2 = past_dt[1];
    const bool   quadratic = (order == 2 && valid_history >= 2);
    double       largest   = 0;
    for (const auto i : block_dofs[0])
      {
        const double u0 = old_solution(i), u1 = older_solution(i), u2 = oldest_solution(i);
        double       predicted;
        if (quadratic)
          {
            // Lagrange extrapolation through t_n - dt1 - dt2, t_n - dt1, t_n to t_n + dt.
            const double l0 = (dt + dt1) * (dt + dt1 + dt2) / (dt1 * (dt1 + dt2));
            const double l1 = -dt * (dt + dt1 + dt2) / (dt1 * dt2);
            const double l2 = dt * (dt + dt1) / ((dt1 + dt2) * dt2);
            predicted       = l0 * u0 + l1 * u1 + l2 * u2;
          }
        else
          predicted = u0 + dt / dt1 * (u0 - u1);
        largest = std::max(largest, std::abs(state(i) - predicted));
      }
    largest = Utilities::MPI::max(largest, communicator);
    if (quadratic)
      {
        // BDF2: LTE = (1 + w)^2 / (6 w (1 + 2 w)) dt^3 u_ttt with w = dt / dt1;
        // the predictor misses by dt (dt + dt1)(dt + dt1 + dt2) u_ttt / 6.
        const double w = dt / dt1;
        return {(1 + w) * (1 + w) / (w * (1 + 2 * w)) * dt * dt / ((dt + dt1) * (dt + dt1 + dt2)) * largest, 2};
      }
    // BDF1 (or BDF2 without enough history, estimated conservatively):
    // LTE = dt^2 u_tt / 2, the predictor misses by dt (dt + dt1) u_tt / 2.
    return {dt / (dt + dt1) * largest, 1};
  }

  template <int dim>
  double Transport<dim>::electrode_current_density(const types::boundary_id id, const Point<dim> &x, const double u,
                                                   const double w, double *d_du, double *d_dw, double *d_dv) const
  {
    *d_du = *d_dw = 0;
    if (d_dv)
      *d_dv = 0;
    const auto prescribed = parameters.current_density.find(id);
    if (prescribed != parameters.current_density.end())
      return prescribed->second->value(x);
    double     phi_s;
    const auto potentiostatic = parameters.electrode_potential.find(id);
    if (potentiostatic != parameters.electrode_potential.end())
      phi_s = potentiostatic->second->value(x);
    else if (galvanostatic_potential.count(id))
      phi_s = galvanostatic_potential.at(id);
    else
      return 0; // not an electrode: no flux
    const auto  &kinetics = *parameters.kinetics;
    const double c0       = parameters.bulk_concentration;
    // The electrolyte potential seen by the electrode is the reference
    // potential Phi = RT/(z+ F) w (a Li reference electrode), so the Nernst
    // shift of the equilibrium with c is built in.
    const double volts = thermal_voltage() / parameters.cation_valence;
    const double eta   = overpotential(phi_s, w * volts, kinetics.equilibrium);
    const double slope = kinetics.d_current_d_eta(eta, c0 * u);
    *d_du              = kinetics.d_current_d_c(eta, c0 * u) * c0;
    *d_dw              = -slope * volts;
    if (d_dv)
      *d_dv = slope;
    return kinetics.current_density(eta, c0 * u);
  }

  template <int dim>
  double Transport<dim>::electrode_potential(const types::boundary_id id) const
  {
    if (galvanostatic_potential.count(id))
      return galvanostatic_potential.at(id);
    const auto potentiostatic = parameters.electrode_potential.find(id);
    AssertThrow(potentiostatic != parameters.electrode_potential.end(),
                ExcMessage("boundary " + std::to_string(id) + " is not an electrode with a potential"));
    return potentiostatic->second->value(Point<dim>());
  }

  template <int dim>
  std::vector<double> Transport<dim>::galvanostatic_residuals(const LA::MPI::Vector &state) const
  {
    std::vector<double> residuals;
    for (const auto &[id, target] : parameters.total_current)
      {
        target->set_time(time);
        residuals.push_back(integrated_current(id, state) - target->value(Point<dim>()));
      }
    return residuals;
  }

  template <int dim>
  void Transport<dim>::assemble_galvanostatic(const LA::MPI::Vector &state, std::vector<LA::MPI::Vector> &b,
                                              std::vector<LA::MPI::Vector> &c, std::vector<double> &d) const
  {
    const QGauss<dim - 1>                quadrature(fe->degree + 1);
    FEFaceValues<dim>                    face_values(mapping, *fe, quadrature,
                                                     update_values | update_quadrature_points | update_JxW_values);
    const unsigned int                   n = fe->n_dofs_per_cell();
    Vector<double>                       local_b(n), local_c(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  u(quadrature.size()), w(quadrature.size());
    const double                         current_scale = coefficients().current;
    b.clear();
    c.clear();
    d.clear();
    for (const auto &[id, target] : parameters.total_current)
      {
        b.emplace_back(locally_owned, communicator);
        c.emplace_back(locally_owned, communicator);
        double d_local = 0;
        for (const auto &cell : dofs.active_cell_iterators())
          if (cell->is_locally_owned())
            for (const unsigned int f : cell->face_indices())
              if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
                {
                  local_b = 0;
                  local_c = 0;
                  face_values.reinit(cell, f);
                  face_values[FEValuesExtractors::Scalar(0)].get_function_values(state, u);
                  face_values[FEValuesExtractors::Scalar(1)].get_function_values(state, w);
                  for (const unsigned int q : face_values.quadrature_point_indices())
                    {
                      double d_du, d_dw, d_dv;
                      electrode_current_density(id, face_values.quadrature_point(q), u[q], w[q], &d_du, &d_dw, &d_dv);
                      const double ds = face_values.JxW(q);
                      d_local += d_dv * ds;
                      for (unsigned int i = 0; i < n; ++i)
                        {
                          const unsigned int k = fe->system_to_component_index(i).first;
                          const double       v = face_values.shape_value_component(i, q, k);
                          local_c(i) += (k == 0 ? d_du : d_dw) * v * ds;
                          if (k == 1) // the charge balance
                            local_b(i) -= current_scale * d_dv * v * ds;
                        }
                    }
                  cell->get_dof_indices(indices);
                  zero_constraints.distribute_local_to_global(local_b, indices, b.back());
                  zero_constraints.distribute_local_to_global(local_c, indices, c.back());
                }
        b.back().compress(VectorOperation::add);
        c.back().compress(VectorOperation::add);
        d.push_back(Utilities::MPI::sum(d_local, communicator));
      }
  }

  template <int dim>
  typename Transport<dim>::Coefficients Transport<dim>::coefficients() const
  {
    const double zp = parameters.cation_valence, zm = parameters.anion_valence;
    const double dp = parameters.cation_diffusivity, dm = parameters.anion_diffusivity;
    const double c0 = parameters.bulk_concentration;
    Coefficients k;
    k.anion_storage    = 1 / dm;
    k.anion_diffusion  = 1 - zm / zp;
    k.anion_migration  = zm / zp;
    k.charge_migration = zp - zm * dm / dp;
    k.charge_diffusion = dm / dp * (zp - zm);
    k.anion_source     = -zm / zp / (c0 * dm);
    k.charge_source[0] = zp / (c0 * dp);
    k.charge_source[1] = zm / (c0 * dp);
    k.current          = 1 / (constants::faraday * c0 * dp);
    k.conductivity     = thermal_voltage() / (zp * constants::faraday * c0 * dp);
    return k;
  }

  template <int dim>
  void Transport<dim>::assemble(const bool with_matrix, const LA::MPI::Vector &state)
  {
    Timer timer;
    if (with_matrix)
      system_matrix = 0;
    system_rhs = 0;
    for (const auto *bc : {&parameters.current_density, &parameters.electrode_potential})
      for (const auto &[id, f] : *bc)
        f->set_time(time);
    if (parameters.source)
      parameters.source->set_time(time);

    const QGauss<dim>                    quadrature(fe->degree + 1);
    const QGauss<dim - 1>                face_quadrature(fe->degree + 1);
    FEValues<dim>                        fe_values(mapping, *fe, quadrature,
                                                   update_values | update_gradients | update_quadrature_points | update_JxW_values);
    FEFaceValues<dim>                    face_values(mapping, *fe, face_quadrature,
                                                     update_values | update_quadrature_points | update_JxW_values);
    const FEValuesExtractors::Scalar     u_extractor(0), w_extractor(1);
    const unsigned int                   n = fe->n_dofs_per_cell(), n_q = quadrature.size();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  u(n_q), u_old(n_q), u_older(n_q), u_face(face_quadrature.size()),
      w_face(face_quadrature.size());
    std::vector<Tensor<1, dim>> grad_u(n_q), grad_w(n_q);
    std::vector<Vector<double>> sources(n_q, Vector<double>(2));
    std::vector<unsigned int>   component(n);
    for (unsigned int i = 0; i < n; ++i)
      component[i] = fe->system_to_component_index(i).first;
    const Coefficients k = coefficients();

    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell_matrix = 0;
          cell_rhs    = 0;
          fe_values.reinit(cell);
          const auto single_ion = parameters.single_ion_conductivity.find(cell->material_id());
          if (single_ion != parameters.single_ion_conductivity.end())
            {
              // t+ = 1, c uniform: only charge conservation, -div(kappa grad w) = 0.
              const double kappa = k.conductivity * single_ion->second;
              fe_values[w_extractor].get_function_gradients(state, grad_w);
              for (unsigned int q = 0; q < n_q; ++q)
                for (unsigned int i = 0; i < n; ++i)
                  if (component[i] == 1)
                    {
                      const auto grad_v = fe_values.shape_grad_component(i, q, 1);
                      cell_rhs(i) -= kappa * grad_w[q] * grad_v * fe_values.JxW(q);
                      if (with_matrix)
                        for (unsigned int j = 0; j < n; ++j)
                          if (component[j] == 1)
                            cell_matrix(i, j) +=
                              kappa * fe_values.shape_grad_component(j, q, 1) * grad_v * fe_values.JxW(q);
                    }
            }
          else
            {
              fe_values[u_extractor].get_function_values(state, u);
              fe_values[u_extractor].get_function_values(old_solution, u_old);
              fe_values[u_extractor].get_function_values(older_solution, u_older);
              fe_values[u_extractor].get_function_gradients(state, grad_u);
              fe_values[w_extractor].get_function_gradients(state, grad_w);
              if (parameters.source)
                parameters.source->vector_value_list(fe_values.get_quadrature_points(), sources);
              for (unsigned int q = 0; q < n_q; ++q)
                {
                  const double u_t           = (bdf[0] * u[q] + bdf[1] * u_old[q] + bdf[2] * u_older[q]) / step_dt;
                  const auto   anion_flux    = k.anion_diffusion * grad_u[q] + k.anion_migration * u[q] * grad_w[q];
                  const auto   charge_flux   = k.charge_migration * u[q] * grad_w[q] - k.charge_diffusion * grad_u[q];
                  const double anion_source  = k.anion_source * sources[q](1);
                  const double charge_source = k.charge_source[0] * sources[q](0) + k.charge_source[1] * sources[q](1);
                  const double dx            = fe_values.JxW(q);
                  for (unsigned int i = 0; i < n; ++i)
                    {
                      const unsigned int e      = component[i]; // 0: anion balance, 1: charge conservation
                      const double       v      = fe_values.shape_value_component(i, q, e);
                      const auto         grad_v = fe_values.shape_grad_component(i, q, e);
                      if (e == 0)
                        cell_rhs(i) -= (k.anion_storage * u_t * v + anion_flux * grad_v - anion_source * v) * dx;
                      else
                        cell_rhs(i) -= (charge_flux * grad_v - charge_source * v) * dx;
                      if (!with_matrix)
                        continue;
                      for (unsigned int j = 0; j < n; ++j)
                        {
                          const unsigned int m        = component[j];
                          const double       phi      = fe_values.shape_value_component(j, q, m);
                          const auto         grad_phi = fe_values.shape_grad_component(j, q, m);
                          double             entry;
                          if (e == 0)
                            entry = m == 0
                                      ? k.anion_storage * bdf[0] / step_dt * phi * v +
                                          (k.anion_diffusion * grad_phi + k.anion_migration * phi * grad_w[q]) * grad_v
                                      : k.anion_migration * u[q] * grad_phi * grad_v;
                          else
                            entry = m == 0
                                      ? (k.charge_migration * phi * grad_w[q] - k.charge_diffusion * grad_phi) * grad_v
                                      : k.charge_migration * u[q] * grad_phi * grad_v;
                          cell_matrix(i, j) += entry * dx;
                        }
                    }
                }
            }
          for (const unsigned int f : cell->face_indices())
            {
              if (!cell->at_boundary(f) || !is_electrode(cell->face(f)->boundary_id()))
                continue;
              const auto id = cell->face(f)->boundary_id();
              face_values.reinit(cell, f);
              face_values[u_extractor].get_function_values(state, u_face);
              face_values[w_extractor].get_function_values(state, w_face);
              for (const unsigned int q : face_values.quadrature_point_indices())
                {
                  double       d_du, d_dw;
                  const double i_n =
                    electrode_current_density(id, face_values.quadrature_point(q), u_face[q], w_face[q], &d_du, &d_dw);
                  const double ds = face_values.JxW(q);
                  // The current enters the charge balance only: anions do not cross.
                  for (unsigned int i = 0; i < n; ++i)
                    if (component[i] == 1)
                      {
                        const double v = face_values.shape_value_component(i, q, 1);
                        cell_rhs(i) += k.current * i_n * v * ds;
                        if (with_matrix)
                          for (unsigned int j = 0; j < n; ++j)
                            cell_matrix(i, j) -= k.current * (component[j] == 0 ? d_du : d_dw) *
                                                 face_values.shape_value_component(j, q, component[j]) * v * ds;
                      }
                }
            }
          cell->get_dof_indices(indices);
          if (with_matrix)
            zero_constraints.distribute_local_to_global(cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
          else
            zero_constraints.distribute_local_to_global(cell_rhs, indices, system_rhs);
        }
    if (with_matrix)
      system_matrix.compress(VectorOperation::add);
    system_rhs.compress(VectorOperation::add);
    last_assembly_time += timer.wall_time();
  }

  template <int dim>
  std::vector<double> Transport<dim>::bordered_update(const LA::MPI::Vector &state, LA::MPI::Vector &update,
                                                      unsigned int &linear_iterations)
  {
    // [A b; c^T d] [dx; dV] = [r; -G]: with A y1 = r (given in update) and
    // A y2_k = b_k, the Schur complement S = d - c^T Y2 gives dV, then
    // dx = y1 - Y2 dV.
    const unsigned int m = parameters.total_current.size();
    if (m == 0)
      return {};
    std::vector<LA::MPI::Vector> b, c, y2(m);
    std::vector<double>          d;
    assemble_galvanostatic(state, b, c, d);
    const std::vector<double> g = galvanostatic_residuals(state);
    FullMatrix<double>        schur(m, m);
    Vector<double>            rhs(m), potential_update(m);
    for (unsigned int l = 0; l < m; ++l)
      {
        y2[l].reinit(locally_owned, communicator);
        linear_iterations += solve_linear(y2[l], b[l]);
      }
    for (unsigned int k = 0; k < m; ++k)
      {
        rhs(k) = -g[k] - c[k] * update;
        for (unsigned int l = 0; l < m; ++l)
          schur(k, l) = (k == l ? d[k] : 0.0) - c[k] * y2[l];
      }
    schur.gauss_jordan();
    schur.vmult(potential_update, rhs);
    for (unsigned int l = 0; l < m; ++l)
      update.add(-potential_update(l), y2[l]);
    return std::vector<double>(potential_update.begin(), potential_update.end());
  }

  template <int dim>
  unsigned int Transport<dim>::solve_linear(LA::MPI::Vector &x, const LA::MPI::Vector &b) const
  {
    x = 0;
    const SolverReport report =
      solve_gmres(system_matrix, x, b, preconditioner, parameters.linear_solver, "Transport (Newton update)");
    zero_constraints.distribute(x);
    return report.iterations;
  }

  template <int dim>
  SolverReport Transport<dim>::advance(const double dt, const unsigned int order)
  {
    const auto bdf_coefficients = BDFCoefficients::make(order, dt, valid_history > 0 ? past_dt[0] : 0.0);
    bdf                         = bdf_coefficients.a;
    step_dt                     = dt;
    const double start_time     = time;
    time                        = start_time + dt;
    last_assembly_time          = 0;

    LA::MPI::Vector current(locally_owned, communicator), update(locally_owned, communicator),
      trial(locally_owned, communicator);
    current = old_solution;
    if (!parameters.dirichlet.empty())
      this->make_constraints(); // boundary data at the new time
    constraints.distribute(current);
    LA::MPI::Vector ghosted(locally_owned, locally_relevant, communicator);
    ghosted = current;

    // Galvanostatic electrodes add one unknown potential V_k and one equation
    // G_k = integral of i_n - I_k = 0 each; G is weighed like the boundary
    // terms of the field residual.
    const auto   potentials_at_start = galvanostatic_potential;
    const double current_scale       = coefficients().current;
    const auto   residual_norm       = [&](const LA::MPI::Vector &state) {
      assemble(false, state);
      double squared = system_rhs.norm_sqr();
      for (const double g : galvanostatic_residuals(state))
        squared += current_scale * current_scale * g * g;
      return std::sqrt(squared);
    };

    const double initial_residual = residual_norm(ghosted);
    double       residual         = initial_residual;
    SolverReport report;
    bool         converged = (residual == 0);
    for (unsigned int it = 1; it <= parameters.newton_max_iterations && !converged; ++it)
      {
        assemble(true, ghosted);
        update = 0;
        preconditioner.initialize(system_matrix, block_dofs, parameters.linear_solver);
        report.linear_iterations += solve_linear(update, system_rhs);
        const std::vector<double> potential_update = bordered_update(ghosted, update, report.linear_iterations);

        // Backtracking line search on the residual norm.
        const auto potentials = galvanostatic_potential;
        double     step = 1, trial_residual = 0;
        for (unsigned int k = 0; k < 10; ++k, step /= 2)
          {
            trial = current;
            trial.add(step, update);
            ghosted        = trial;
            unsigned int e = 0;
            for (auto &[id, v] : galvanostatic_potential)
              v = potentials.at(id) + step * potential_update[e++];
            trial_residual = residual_norm(ghosted);
            if (trial_residual < (1 - 1e-4 * step) * residual)
              break;
          }
        current           = trial;
        residual          = trial_residual;
        report.iterations = it;
        converged         = residual <= parameters.newton_tolerance * initial_residual ||
                    update.linfty_norm() * step <= 1e-12 * std::max(1.0, current.linfty_norm());
      }
    if (!converged || !std::isfinite(residual))
      {
        time                    = start_time;
        galvanostatic_potential = potentials_at_start;
        std::ostringstream message;
        message << "Transport: Newton did not converge in " << parameters.newton_max_iterations
                << " iterations at t = " << start_time + dt << " s (dt = " << dt << " s, residual reduced by "
                << residual / initial_residual << ")";
        throw std::runtime_error(message.str());
      }
    last_error                = estimate_local_error(ghosted, bdf_coefficients.order);
    undo                      = {start_time, past_dt, valid_history, potentials_at_start, oldest_solution, true};
    oldest_solution           = older_solution;
    older_solution            = old_solution;
    old_solution              = ghosted;
    locally_relevant_solution = ghosted;
    past_dt                   = {{dt, past_dt[0]}};
    valid_history             = std::min(valid_history + 1, 2u);
    return report;
  }

  template <int dim>
  SolverReport Transport<dim>::solve()
  {
    throw std::logic_error("Transport is transient: call advance(dt, order)");
  }

  template <int dim>
  void Transport<dim>::add_output(DataOut<dim> &data_out) const
  {
    data_out.add_data_vector(dofs, locally_relevant_solution, *physical_units);
  }

  template <int dim>
  double Transport<dim>::min_boundary_concentration(const types::boundary_id id) const
  {
    FEFaceValues<dim>                face_values(mapping, *fe, QGaussLobatto<dim - 1>(fe->degree + 1), update_values);
    const FEValuesExtractors::Scalar u_extractor(0);
    std::vector<double>              values(face_values.n_quadrature_points);
    double                           lowest = std::numeric_limits<double>::max();
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
            {
              face_values.reinit(cell, f);
              face_values[u_extractor].get_function_values(locally_relevant_solution, values);
              for (const double v : values)
                lowest = std::min(lowest, v);
            }
    return parameters.bulk_concentration * Utilities::MPI::min(lowest, communicator);
  }

  template <int dim>
  double Transport<dim>::salt_integral(const LA::MPI::Vector &state) const
  {
    const QGauss<dim>   quadrature(fe->degree + 1);
    FEValues<dim>       fe_values(mapping, *fe, quadrature, update_values | update_JxW_values);
    std::vector<double> values(quadrature.size());
    double              total = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && !parameters.single_ion_conductivity.count(cell->material_id()))
        {
          fe_values.reinit(cell);
          fe_values[FEValuesExtractors::Scalar(0)].get_function_values(state, values);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            total += values[q] * fe_values.JxW(q);
        }
    return Utilities::MPI::sum(total, communicator);
  }

  template <int dim>
  double Transport<dim>::total_cations() const
  {
    return parameters.bulk_concentration * salt_integral(locally_relevant_solution);
  }

  template <int dim>
  void Transport<dim>::restore_salt(LA::MPI::Vector &state, const double target) const
  {
    // e = 1 on the free concentration DoFs, completed by the homogeneous
    // constraints (hanging nodes follow, Dirichlet and single-ion DoFs stay
    // 0): state + delta e keeps every constraint and gains delta * int(e).
    LA::MPI::Vector unit(locally_owned, communicator);
    for (const auto i : block_dofs[0])
      if (!constraints.is_constrained(i))
        unit(i) = 1.0;
    unit.compress(VectorOperation::insert);
    zero_constraints.distribute(unit);
    LA::MPI::Vector ghosted(locally_owned, locally_relevant, communicator);
    ghosted                = unit;
    const double unit_salt = salt_integral(ghosted);
    ghosted                = state;
    if (unit_salt > 0)
      state.add((target - salt_integral(ghosted)) / unit_salt, unit);
  }

  template <int dim>
  void Transport<dim>::prepare_for_transfer()
  {
    salt_before_transfer = {
      {salt_integral(old_solution), salt_integral(older_solution), salt_integral(oldest_solution)}};
    history_transfer = std::make_unique<parallel::distributed::SolutionTransfer<dim, LA::MPI::Vector>>(dofs);
    history_transfer->prepare_for_coarsening_and_refinement(
      std::vector<const LA::MPI::Vector *>{&old_solution, &older_solution, &oldest_solution});
  }

  template <int dim>
  void Transport<dim>::finish_transfer()
  {
    const auto kept_past_dt = past_dt;
    const auto kept_history = valid_history;
    setup_dofs(); // keeps the galvanostatic potentials
    std::vector<LA::MPI::Vector>   states(3, LA::MPI::Vector(locally_owned, communicator));
    std::vector<LA::MPI::Vector *> pointers{&states[0], &states[1], &states[2]};
    history_transfer->interpolate(pointers);
    history_transfer.reset();
    for (unsigned int k = 0; k < 3; ++k)
      {
        constraints.distribute(states[k]);
        restore_salt(states[k], salt_before_transfer[k]);
      }
    reset_history(states[0]);
    older_solution  = states[1];
    oldest_solution = states[2];
    past_dt         = kept_past_dt;
    valid_history   = kept_history;
  }

  template <int dim>
  double Transport<dim>::integrated_current(const types::boundary_id id, const LA::MPI::Vector &state) const
  {
    const QGauss<dim - 1> quadrature(fe->degree + 1);
    FEFaceValues<dim>     face_values(mapping, *fe, quadrature,
                                      update_values | update_quadrature_points | update_JxW_values);
    std::vector<double>   u(quadrature.size()), w(quadrature.size());
    double                total = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
            {
              face_values.reinit(cell, f);
              face_values[FEValuesExtractors::Scalar(0)].get_function_values(state, u);
              face_values[FEValuesExtractors::Scalar(1)].get_function_values(state, w);
              for (const unsigned int q : face_values.quadrature_point_indices())
                {
                  double d1, d2;
                  total += electrode_current_density(id, face_values.quadrature_point(q), u[q], w[q], &d1, &d2) *
                           face_values.JxW(q);
                }
            }
    return Utilities::MPI::sum(total, communicator);
  }

  template <int dim>
  double Transport<dim>::electrode_current(const types::boundary_id id) const
  {
    return integrated_current(id, locally_relevant_solution);
  }

  template class Transport<2>;
  template class Transport<3>;
} // namespace dendra

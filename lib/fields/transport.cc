#include <dendra/base/exceptions.h>
#include <dendra/base/newton.h>
#include <dendra/base/profile.h>
#include <dendra/base/time_stepping.h>
#include <dendra/fields/transport.h>

#include <deal.II/base/qprojector.h>
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

#ifdef DENDRA_USE_TRILINOS
#include <deal.II/lac/trilinos_solver.h>
#else
#include <deal.II/lac/petsc_solver.h>
#endif

#include <cmath>
#include <iomanip>
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

    /// Writes c+ and c- (mol/m^3), phi (V) and the charge density
    /// F (z+ c+ + z- c-) (C/m^3) of the Poisson closure.
    template <int dim>
    class PoissonUnits : public DataPostprocessor<dim>
    {
    public:
      explicit PoissonUnits(const typename Transport<dim>::Parameters &p)
        : c0(p.bulk_concentration)
        , anion_c0(-p.cation_valence * p.bulk_concentration / p.anion_valence)
        , volts(constants::gas * p.temperature / constants::faraday)
        , charge(constants::faraday * p.cation_valence * p.bulk_concentration)
      {}
      void evaluate_vector_field(const DataPostprocessorInputs::Vector<dim> &inputs,
                                 std::vector<Vector<double>>                &computed) const override
      {
        for (unsigned int q = 0; q < inputs.solution_values.size(); ++q)
          {
            const auto &s  = inputs.solution_values[q];
            computed[q](0) = c0 * std::exp(s(0));
            computed[q](1) = anion_c0 * std::exp(s(1));
            computed[q](2) = volts * s(2);
            computed[q](3) = charge * (std::exp(s(0)) - std::exp(s(1)));
          }
      }
      std::vector<std::string> get_names() const override
      {
        return {"cation_concentration", "anion_concentration", "electrolyte_potential", "charge_density"};
      }
      UpdateFlags get_needed_update_flags() const override { return update_values; }

    private:
      double c0, anion_c0, volts, charge;
    };

    /// (c, phi) in SI units seen as the scaled unknowns: u = c / c0 and
    /// w = ln u + z+ F phi / (R T) (electroneutral), or u+ = u- = c / c0 and
    /// psi = F phi / (R T) (Poisson; electroneutral data), or, for Poisson and
    /// data (c+, c-, phi), u+ = c+ / c0, u- = c- / c0-, psi.
    template <int dim>
    class ScaledState : public Function<dim>
    {
    public:
      ScaledState(const Function<dim> &physical, const double c0, const double thermal_voltage, const double z,
                  const double anion_z, const bool poisson)
        : Function<dim>(poisson ? 3 : 2)
        , physical(physical)
        , c0(c0)
        , thermal_voltage(thermal_voltage)
        , z(z)
        , anion_z(anion_z)
        , poisson(poisson)
      {}
      double value(const Point<dim> &p, const unsigned int component) const override
      {
        if (poisson && physical.n_components == 3) // (c+, c-, phi)
          return component == 2 ? physical.value(p, 2) / thermal_voltage
                                : log_density(physical.value(p, component) / (component == 0 ? c0 : -c0 * z / anion_z));
        const double u = physical.value(p, 0) / c0;
        if (poisson)
          return component < 2 ? log_density(u) : physical.value(p, 1) / thermal_voltage;
        if (component + 1 < this->n_components)
          return u;
        const double psi = physical.value(p, 1) / thermal_voltage;
        if (poisson)
          return psi;
        require_input(u > 0, "Transport: the concentration must be > 0 where the state is set");
        return std::log(u) + z * psi;
      }

    private:
      static double log_density(const double u)
      {
        require_input(u > 0, "Transport: the concentrations must be > 0 where the state is set");
        return std::log(u);
      }
      const Function<dim> &physical;
      double               c0, thermal_voltage, z, anion_z;
      bool                 poisson;
    };
  } // namespace

  template <int dim>
  void Transport<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Transport");
    prm.declare_entry("Polynomial degree", "1", Patterns::Integer(1, 3), "Degree of c and phi (-).");
    prm.declare_entry("Closure", "electroneutral", Patterns::Selection("electroneutral|poisson"),
                      "electroneutral: z+ c+ + z- c- = 0, one salt balance plus charge conservation; poisson: "
                      "c+ and c- separately with -div(eps0 epsr grad phi) = F (z+ c+ + z- c-), resolving "
                      "space-charge layers (Debye length: refine the mesh to it; binary electrolytes only).");
    prm.declare_entry("Relative permittivity", "10", Patterns::Double(0),
                      "epsr of the electrolyte (-), > 0; used by the Poisson closure.");
    prm.declare_entry("Stern layer thickness", "0", Patterns::Double(0),
                      "Poisson closure: electrodes with a potential (potentiostatic or galvanostatic) hold the "
                      "electrolyte potential at their surface through a Stern layer of this thickness and the "
                      "electrolyte's permittivity, d phi/dn = (phi_s - U0 - phi) / thickness (m); 0: no surface "
                      "charge on electrodes (zero normal field).");
    prm.declare_entry("Cation valence", "1", Patterns::Double(0), "z+ (-), > 0.");
    prm.declare_entry("Anion valence", "-1", Patterns::Double(), "z- (-), < 0.");
    prm.declare_entry("Cation diffusivity", "1e-10", Patterns::Double(0), "D+ (m^2/s), > 0.");
    prm.declare_entry("Anion diffusivity", "3e-10", Patterns::Double(0), "D- (m^2/s), > 0.");
    declare_moved_entry(prm, "Bulk concentration", "Conditions/Bulk concentration");
    declare_moved_entry(prm, "Temperature", "Conditions/Temperature");
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
    prm.declare_entry("Stress coupling", "hydrostatic", Patterns::Selection("hydrostatic|monroe-newman"),
                      "Mechanical term of the overpotential at electrodes with kinetics when elasticity is solved "
                      "too: hydrostatic eta_mech = -Omega_Li sigma_h / (z+ F); monroe-newman: (-Omega_Li sigma_nn + "
                      "V_Li+ sigma_h) / (z+ F) with the face normal n and Materials/<electrolyte>/Li+ partial molar "
                      "volume (README, Transport runs).");
    prm.declare_entry("Single-ion conductors", "LLZO", Patterns::Anything(),
                      "Comma-separated materials (names of subsection Materials) that conduct Li+ only (t+ = 1, "
                      "uniform c), with their Ionic conductivity; all other cells are binary electrolyte.");
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, default_linear_solver());
    prm.leave_subsection();
    prm.declare_entry("Newton iterations", "30", Patterns::Integer(1), "Newton iteration limit per step (-).");
    prm.declare_entry("Newton tolerance", "1e-10", Patterns::Double(0, 1), "Relative residual reduction (-).");
    prm.declare_entry("Maximum forcing term", "0.01", Patterns::Double(0, 1),
                      "Inexact Newton: largest relative tolerance of a Newton update's linear solve (-), in [0, 1); "
                      "it tightens as Newton converges (Eisenstat-Walker), never below Linear solver/Relative "
                      "tolerance. 0: every update to the Linear solver tolerance.");
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
    degree                = prm.get_integer("Polynomial degree");
    closure               = prm.get("Closure") == "poisson" ? Closure::poisson : Closure::electroneutral;
    relative_permittivity = prm.get_double("Relative permittivity");
    stern_layer_thickness = prm.get_double("Stern layer thickness");
    require_input(relative_permittivity > 0,
                  "Transport/Relative permittivity = " + format_number(relative_permittivity) + " must be > 0");
    cation_valence     = prm.get_double("Cation valence");
    anion_valence      = prm.get_double("Anion valence");
    cation_diffusivity = prm.get_double("Cation diffusivity");
    anion_diffusivity  = prm.get_double("Anion diffusivity");
    check_moved_entry(prm, "Bulk concentration", "Transport/", "Conditions/Bulk concentration");
    check_moved_entry(prm, "Temperature", "Transport/", "Conditions/Temperature");
    bulk_concentration      = materials.conditions().bulk_concentration;
    temperature             = materials.conditions().temperature;
    mechanical.form         = prm.get("Stress coupling") == "hydrostatic" ? MechanicalOverpotential::Form::hydrostatic
                                                                          : MechanicalOverpotential::Form::monroe_newman;
    mechanical.molar_volume = materials.by_name("Li metal", "Transport/Stress coupling").molar_volume;
    li_ion_volume.clear();
    for (const Material &m : materials.all())
      li_ion_volume[m.id] = m.li_ion_volume;
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
    maximum_forcing       = prm.get_double("Maximum forcing term");
    prm.leave_subsection();
    kinetics = ElectrodeKinetics::create(prm, temperature);
    require_positive("Transport/", {{"Cation valence", cation_valence},
                                    {"Cation diffusivity", cation_diffusivity},
                                    {"Anion diffusivity", anion_diffusivity}});
    require_input(anion_valence < 0, "Transport/Anion valence = " + format_number(anion_valence) + " must be < 0");
    mechanical.charge_number = cation_valence;
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
    : TransientField<dim>(tria, std::make_unique<FESystem<dim>>(FE_Q<dim>(parameters.degree),
                                                                parameters.closure == Closure::poisson ? 3 : 2))
    , parameters(parameters)
    , physical_units(parameters.closure == Closure::poisson
                       ? std::unique_ptr<DataPostprocessor<dim>>(std::make_unique<PoissonUnits<dim>>(parameters))
                       : std::make_unique<PhysicalUnits<dim>>(parameters.bulk_concentration,
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
  std::unique_ptr<Function<dim>> Transport<dim>::scaled_state(const Function<dim> &c_and_phi) const
  {
    return std::make_unique<ScaledState<dim>>(c_and_phi, parameters.bulk_concentration, thermal_voltage(),
                                              parameters.cation_valence, parameters.anion_valence,
                                              parameters.closure == Closure::poisson);
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
    // c = c0 and phi = 0: u = 1, w = 0 (u+ = u- = 1, psi = 0).
    for (const auto id : parameters.reservoir)
      VectorTools::interpolate_boundary_values(mapping, dofs, id, bulk_state(), c);
    for (const auto &[id, function] : parameters.dirichlet)
      {
        function->set_time(time);
        VectorTools::interpolate_boundary_values(mapping, dofs, id, *scaled_state(*function), c);
      }
    single_ion_dofs = find_single_ion_concentration_dofs();
    require_input(parameters.closure == Closure::electroneutral ||
                    Utilities::MPI::sum(single_ion_dofs.n_elements(), communicator) == 0,
                  "Transport/Closure = poisson: the mesh has single-ion conductor cells (Transport/Single-ion "
                  "conductors); the Poisson closure is for binary electrolytes only");
    add_region_constraints(c, 1.0); // u = 1: the Li+ concentration of a single-ion conductor is fixed
  }

  template <int dim>
  void Transport<dim>::setup_system()
  {
    Field<dim>::setup_dofs();
    this->make_zero_constraints(zero_constraints);
    block_dofs.clear();
    for (unsigned int component = 0; component < fe->n_components(); ++component)
      block_dofs.push_back(DoFTools::extract_dofs(dofs, fe->component_mask(FEValuesExtractors::Scalar(component))));
  }

  template <int dim>
  void Transport<dim>::setup_dofs()
  {
    setup_system();
    LA::MPI::Vector initial(locally_owned, communicator);
    VectorTools::interpolate(mapping, dofs, bulk_state(), initial);
    constraints.distribute(initial);
    reset_history(initial);
    for (const auto &[id, f] : parameters.total_current)
      galvanostatic_potential.emplace(id, 0.0); // V; found by Newton in the first step
  }

  template <int dim>
  void Transport<dim>::set_state(const Function<dim> &c_and_phi)
  {
    LA::MPI::Vector state(locally_owned, communicator);
    VectorTools::interpolate(mapping, dofs, *scaled_state(c_and_phi), state);
    this->make_constraints();
    constraints.distribute(state);
    reset_history(state);
  }

  template <int dim>
  void Transport<dim>::reset_history(const LA::MPI::Vector &state)
  {
    locally_relevant_solution.reinit(locally_owned, locally_relevant, communicator);
    locally_relevant_solution = state;
    history.reset(state, locally_owned, locally_relevant, communicator);
    undo.possible = false;
    last_error    = {-1.0, 0};
  }

  template <int dim>
  void Transport<dim>::forget_history()
  {
    history.forget();
  }

  template <int dim>
  void Transport<dim>::reject_step()
  {
    AssertThrow(undo.possible, ExcMessage("Transport::reject_step(): no step to reject"));
    time                    = undo.time;
    galvanostatic_potential = undo.potentials;
    history.reject();
    locally_relevant_solution = history.state(0);
    undo.possible             = false;
    last_error                = {-1.0, 0};
  }

  template <int dim>
  double Transport<dim>::electrode_current_density(const types::boundary_id id, const Point<dim> &x, const double u,
                                                   const double w, const double eta_mech, double *d_du, double *d_dw,
                                                   double *d_dv) const
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
    const double volts = potential_volts();
    const double eta   = overpotential(phi_s, w * volts, kinetics.equilibrium) + eta_mech;
    const double slope = kinetics.d_current_d_eta(eta, c0 * u);
    *d_du              = kinetics.d_current_d_c(eta, c0 * u) * c0;
    *d_dw              = -slope * volts;
    if (d_dv)
      *d_dv = slope;
    return kinetics.current_density(eta, c0 * u);
  }

  template <int dim>
  std::set<types::boundary_id> Transport<dim>::electrodes() const
  {
    std::set<types::boundary_id> ids;
    for (const auto *map : {&parameters.current_density, &parameters.electrode_potential, &parameters.total_current})
      for (const auto &[id, f] : *map)
        ids.insert(id);
    return ids;
  }

  template <int dim>
  FieldMaker<dim> Transport<dim>::parse(ParameterHandler &prm, const FieldContext<dim> &context)
  {
    auto parameters = std::make_shared<Parameters>();
    parameters->parse_parameters(prm, context.boundary_names, context.materials);
    const auto id                 = context.working_electrode;
    parameters->working_electrode = id;
    std::shared_ptr<ProgramCurrent<dim>> total;
    if (id != numbers::invalid_boundary_id)
      {
        parameters->electrode_potential.erase(id);
        parameters->current_density.erase(id);
        if (context.current_program.galvanostatic())
          parameters->total_current[id] = total = std::make_shared<ProgramCurrent<dim>>(context.current_program, 0.0);
        else
          parameters->current_density[id] = std::make_shared<ProgramCurrent<dim>>(context.current_program, 1.0);
      }
    return [parameters, total, &context]() {
      if (total) // the total current is the program's density times the electrode's area
        total->scale = boundary_measure(context.triangulation, parameters->working_electrode);
      return std::make_unique<Transport<dim>>(context.triangulation, *parameters);
    };
  }

  template <int dim>
  void Transport<dim>::add_statistics(StatisticsTable &table, const BoundaryLabels &labels)
  {
    table.add_value("transport_dofs", "", this->n_dofs());
    const std::string current_unit = (dim == 2 ? "A/m" : "A");
    for (const auto id : electrodes())
      {
        const std::string name = boundary_label(labels, id);
        table.add_value("electrode_current_" + name, current_unit, electrode_current(id));
        table.add_value("min_surface_concentration_" + name, "mol/m^3", min_boundary_concentration(id));
        if (parameters.electrode_potential.count(id) || parameters.total_current.count(id))
          table.add_value("electrode_potential_" + name, "V", electrode_potential(id));
      }
    table.add_value("total_cations", dim == 2 ? "mol/m" : "mol", total_cations());
    if (parameters.closure == Closure::poisson)
      table.add_value("total_charge", dim == 2 ? "C/m" : "C", total_charge());
    // Two electrodes with potentials: the cell voltage, working minus counter.
    std::set<types::boundary_id> with_potential;
    for (const auto *map : {&parameters.electrode_potential, &parameters.total_current})
      for (const auto &[id, f] : *map)
        with_potential.insert(id);
    const auto working = parameters.working_electrode;
    if (with_potential.size() == 2 && with_potential.count(working))
      {
        const auto counter = *with_potential.begin() == working ? *with_potential.rbegin() : *with_potential.begin();
        table.add_value("cell_voltage", "V", electrode_potential(working) - electrode_potential(counter));
      }
  }

  template <int dim>
  std::string Transport<dim>::summary(const BoundaryLabels &labels) const
  {
    std::ostringstream text;
    text << "Transport: t = " << this->current_time() << " s, total cations " << total_cations()
         << (dim == 2 ? " mol/m" : " mol");
    for (const auto id : electrodes())
      text << "\n  electrode " << boundary_label(labels, id) << ": current " << electrode_current(id)
           << (dim == 2 ? " A/m" : " A") << ", minimum surface concentration " << min_boundary_concentration(id)
           << " mol/m^3";
    return text.str();
  }

  template <int dim>
  void Transport<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    stress = registry.find(quantity_names::stress, name());
    stress_on_face.clear();
  }

  template <int dim>
  void Transport<dim>::mechanical_overpotentials(const typename DoFHandler<dim>::active_cell_iterator &cell,
                                                 const unsigned int f, const FEFaceValues<dim> &face_values,
                                                 std::vector<double> &eta_mech) const
  {
    eta_mech.assign(face_values.n_quadrature_points, 0.0);
    if (!stress)
      return;
    if (stress_on_face.empty())
      {
        // One evaluator per face number: the face rule of the electrode terms
        // mapped onto that face of the reference cell. Boundary faces have
        // the standard orientation (their only cell created them), so the
        // points come in the order of FEFaceValues. Made at the first use:
        // the provider's vectors exist once it has solved.
        const QGauss<dim - 1> face_rule(fe->degree + 1);
        for (const unsigned int face : GeometryInfo<dim>::face_indices())
          stress_on_face.push_back(stress->make_evaluator(
            QProjector<dim>::project_to_face(ReferenceCells::get_hypercube<dim>(), face_rule, face)));
      }
    Assert(cell->face_orientation(f), ExcInternalError());
    stress_on_face[f](cell, stress_at_points);
    MechanicalOverpotential law = parameters.mechanical;
    const auto              v   = parameters.li_ion_volume.find(cell->material_id());
    law.electrolyte_li_volume   = v == parameters.li_ion_volume.end() ? 0.0 : v->second;
    for (const unsigned int q : face_values.quadrature_point_indices())
      {
        Tensor<1, 3> normal;
        for (unsigned int d = 0; d < dim; ++d)
          normal[d] = face_values.normal_vector(q)[d];
        eta_mech[q] = law(symmetric_tensor_from_components(stress_at_points[q]), normal);
      }
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
                                                     update_values | update_quadrature_points | update_JxW_values | update_normal_vectors);
    const unsigned int                   n = fe->n_dofs_per_cell();
    Vector<double>                       local_b(n), local_c(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  u(quadrature.size()), w(quadrature.size()), eta_mech;
    const unsigned int                   row = current_row(), potential = potential_component();
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
                  face_values[FEValuesExtractors::Scalar(potential)].get_function_values(state, w);
                  mechanical_overpotentials(cell, f, face_values, eta_mech);
                  for (const unsigned int q : face_values.quadrature_point_indices())
                    {
                      double d_du, d_dw, d_dv;
                      electrode_current_density(id, face_values.quadrature_point(q), concentration(u[q]), w[q],
                                                eta_mech[q], &d_du, &d_dw, &d_dv);
                      d_du *= d_concentration(u[q]);
                      const double ds = face_values.JxW(q);
                      d_local += d_dv * ds;
                      for (unsigned int i = 0; i < n; ++i)
                        {
                          const unsigned int k = fe->system_to_component_index(i).first;
                          const double       v = face_values.shape_value_component(i, q, k);
                          local_c(i) += (k == 0 ? d_du : k == potential ? d_dw : 0.0) * v * ds;
                          if (k == row) // the balance the current enters
                            local_b(i) -= current_scale() * d_dv * v * ds;
                          if (k == 2 && parameters.closure == Closure::poisson && parameters.stern_layer_thickness > 0)
                            local_b(i) -= coefficients().debye_length_squared / parameters.stern_layer_thickness /
                                          thermal_voltage() * v * ds; // the Stern layer
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
    k.anion_storage     = 1 / dm;
    k.anion_diffusion   = 1 - zm / zp;
    k.anion_migration   = zm / zp;
    k.charge_migration  = zp - zm * dm / dp;
    k.charge_diffusion  = dm / dp * (zp - zm);
    k.anion_source      = -zm / zp / (c0 * dm);
    k.charge_source[0]  = zp / (c0 * dp);
    k.charge_source[1]  = zm / (c0 * dp);
    k.current           = 1 / (constants::faraday * c0 * dp);
    k.conductivity      = thermal_voltage() / (zp * constants::faraday * c0 * dp);
    k.species_source[0] = 1 / (c0 * dp);
    k.species_source[1] = -zm / zp / (c0 * dm);
    k.debye_length_squared =
      constants::vacuum_permittivity * parameters.relative_permittivity * thermal_voltage() / (constants::faraday * c0);
    return k;
  }

  /// What the cell terms of one assembly share: the element's component of
  /// each shape function and scratch arrays at the quadrature points.
  template <int dim>
  struct Transport<dim>::CellScratch
  {
    CellScratch(const FiniteElement<dim> &fe, const unsigned int n_q)
      : values(fe.n_components(), std::vector<double>(n_q))
      , history_values(fe.n_components(), std::vector<double>(n_q))
      , gradients(fe.n_components(), std::vector<Tensor<1, dim>>(n_q))
      , all_values(n_q, Vector<double>(fe.n_components()))
      , all_history(n_q, Vector<double>(fe.n_components()))
      , all_older(n_q, Vector<double>(fe.n_components()))
      , all_gradients(n_q, std::vector<Tensor<1, dim>>(fe.n_components()))
      , sources(n_q, Vector<double>(2))
    {
      local_index.resize(fe.n_components());
      for (unsigned int i = 0; i < fe.n_dofs_per_cell(); ++i)
        {
          const auto [c, base] = fe.system_to_component_index(i);
          component.push_back(c);
          if (local_index[c].size() <= base)
            local_index[c].resize(base + 1);
          local_index[c][base] = i;
        }
      shape.resize(component.size());
      shape_grad.resize(component.size());
    }
    /// Reads every component of @p state and of the BDF history term on the
    /// cell of @p fe_values (each vector in one pass).
    void read(const FEValues<dim> &fe_values, const LA::MPI::Vector &state, const LA::MPI::Vector &history)
    {
      fe_values.get_function_values(state, all_values);
      fe_values.get_function_values(history, all_history);
      read_gradients_and_split(fe_values, state);
    }
    /// Log densities (Poisson closure): the history term a1 exp(rho^n) +
    /// a2 exp(rho^{n-1}) is formed at the quadrature points.
    void read_log_densities(const FEValues<dim> &fe_values, const LA::MPI::Vector &state,
                            const LA::MPI::Vector &old_state, const LA::MPI::Vector &older_state,
                            const std::array<double, 3> &bdf)
    {
      fe_values.get_function_values(state, all_values);
      fe_values.get_function_values(old_state, all_history);
      fe_values.get_function_values(older_state, all_older);
      for (unsigned int q = 0; q < all_values.size(); ++q)
        for (unsigned int c = 0; c + 1 < all_history[q].size(); ++c)
          all_history[q](c) = bdf[1] * std::exp(all_history[q](c)) + bdf[2] * std::exp(all_older[q](c));
      read_gradients_and_split(fe_values, state);
    }
    void read_gradients_and_split(const FEValues<dim> &fe_values, const LA::MPI::Vector &state)
    {
      fe_values.get_function_gradients(state, all_gradients);
      for (unsigned int c = 0; c < values.size(); ++c)
        for (unsigned int q = 0; q < all_values.size(); ++q)
          {
            values[c][q]         = all_values[q](c);
            history_values[c][q] = all_history[q](c);
            gradients[c][q]      = all_gradients[q][c];
          }
    }
    /// The shape functions at quadrature point @p q (primitive element: each
    /// has one nonzero component), cached so the loops avoid the
    /// component-checking accessors.
    void read_shapes(const FEValues<dim> &fe_values, const unsigned int q)
    {
      for (unsigned int i = 0; i < component.size(); ++i)
        {
          shape[i]      = fe_values.shape_value(i, q);
          shape_grad[i] = fe_values.shape_grad(i, q);
        }
    }
    std::vector<unsigned int>                component;
    std::vector<std::vector<unsigned int>>   local_index; ///< [component][scalar basis index] -> cell DoF
    std::vector<double>                      shape;
    std::vector<Tensor<1, dim>>              shape_grad;
    std::vector<std::vector<double>>         values, history_values; ///< u, and a1 u^n + a2 u^{n-1} of BDF
    std::vector<std::vector<Tensor<1, dim>>> gradients;
    std::vector<Vector<double>>              all_values, all_history, all_older;
    std::vector<std::vector<Tensor<1, dim>>> all_gradients;
    std::vector<Vector<double>>              sources;
  };

  template <int dim>
  void Transport<dim>::cell_terms_single_ion(const FEValues<dim> &fe_values, const double kappa, CellScratch &s,
                                             const bool with_matrix, FullMatrix<double> &matrix,
                                             Vector<double> &rhs) const
  {
    // t+ = 1, c uniform: only charge conservation, -div(kappa grad w) = 0.
    const auto &grad_w = s.gradients[1];
    for (unsigned int q = 0; q < fe_values.n_quadrature_points; ++q)
      {
        s.read_shapes(fe_values, q);
        for (unsigned int i = 0; i < s.component.size(); ++i)
          if (s.component[i] == 1)
            {
              rhs(i) -= kappa * grad_w[q] * s.shape_grad[i] * fe_values.JxW(q);
              if (with_matrix)
                for (unsigned int j = 0; j < s.component.size(); ++j)
                  if (s.component[j] == 1)
                    matrix(i, j) += kappa * s.shape_grad[j] * s.shape_grad[i] * fe_values.JxW(q);
            }
      }
  }

  template <int dim>
  void Transport<dim>::cell_terms_electroneutral(const FEValues<dim> &fe_values, const Coefficients &k, CellScratch &s,
                                                 const bool with_matrix, FullMatrix<double> &matrix,
                                                 Vector<double> &rhs) const
  {
    // Loops over the scalar basis functions a (test) and b (trial): the four
    // blocks (anion balance | charge) x (u | w) share their scalar products.
    const auto        &u = s.values[0], &past = s.history_values[0];
    const auto        &grad_u = s.gradients[0], &grad_w = s.gradients[1];
    const unsigned int n_base     = s.component.size() / 2;
    const double       storage_dt = k.anion_storage * bdf[0] / history.step_size();
    for (unsigned int q = 0; q < fe_values.n_quadrature_points; ++q)
      {
        const double u_t           = (bdf[0] * u[q] + past[q]) / history.step_size();
        const auto   anion_flux    = k.anion_diffusion * grad_u[q] + k.anion_migration * u[q] * grad_w[q];
        const auto   charge_flux   = k.charge_migration * u[q] * grad_w[q] - k.charge_diffusion * grad_u[q];
        const double anion_source  = k.anion_source * s.sources[q](1);
        const double charge_source = k.charge_source[0] * s.sources[q](0) + k.charge_source[1] * s.sources[q](1);
        const double dx            = fe_values.JxW(q);
        s.read_shapes(fe_values, q);
        for (unsigned int a = 0; a < n_base; ++a)
          {
            const unsigned int ia = s.local_index[0][a], ic = s.local_index[1][a]; // anion and charge rows
            const double       v      = s.shape[ia];
            const auto        &grad_v = s.shape_grad[ia];
            rhs(ia) -= (k.anion_storage * u_t * v + anion_flux * grad_v - anion_source * v) * dx;
            rhs(ic) -= (charge_flux * grad_v - charge_source * v) * dx;
            if (!with_matrix)
              continue;
            const double w_v = grad_w[q] * grad_v;
            for (unsigned int b = 0; b < n_base; ++b)
              {
                const unsigned int ju = s.local_index[0][b], jw = s.local_index[1][b];
                const double       phi = s.shape[ju], phi_v = (s.shape_grad[ju] * grad_v) * dx;
                matrix(ia, ju) +=
                  (storage_dt * phi * v + k.anion_migration * phi * w_v) * dx + k.anion_diffusion * phi_v;
                matrix(ia, jw) += k.anion_migration * u[q] * phi_v;
                matrix(ic, ju) += k.charge_migration * phi * w_v * dx - k.charge_diffusion * phi_v;
                matrix(ic, jw) += k.charge_migration * u[q] * phi_v;
              }
          }
      }
  }

  template <int dim>
  void Transport<dim>::cell_terms_poisson(const FEValues<dim> &fe_values, const Coefficients &k, CellScratch &s,
                                          const bool with_matrix, FullMatrix<double> &matrix, Vector<double> &rhs) const
  {
    // Unknowns rho+- = ln(c+- / c0+-) (positivity by construction) and psi.
    // Rows 0, 1: (1/D) du/dt - div(u grad(rho + z psi)) = r / (c0 D) with u = exp(rho);
    // row 2: Poisson, lambda^2 (grad psi, grad v) = z+ (u+ - u-).
    const double z[2]     = {parameters.cation_valence, parameters.anion_valence};
    const double inv_d[2] = {1 / parameters.cation_diffusivity, 1 / parameters.anion_diffusivity};
    const double lambda2  = k.debye_length_squared;
    const auto  &grad_psi = s.gradients[2];
    for (unsigned int q = 0; q < fe_values.n_quadrature_points; ++q)
      {
        const double         dx       = fe_values.JxW(q);
        const double         u[2]     = {std::exp(s.values[0][q]), std::exp(s.values[1][q])};
        const Tensor<1, dim> drive[2] = {s.gradients[0][q] + z[0] * grad_psi[q],
                                         s.gradients[1][q] + z[1] * grad_psi[q]};
        s.read_shapes(fe_values, q);
        for (unsigned int i = 0; i < s.component.size(); ++i)
          {
            const unsigned int e      = s.component[i];
            const double       v      = s.shape[i];
            const auto        &grad_v = s.shape_grad[i];
            if (e < 2)
              {
                const double u_t = (bdf[0] * u[e] + s.history_values[e][q]) / history.step_size();
                rhs(i) -=
                  (inv_d[e] * u_t * v + u[e] * drive[e] * grad_v - k.species_source[e] * s.sources[q](e) * v) * dx;
              }
            else
              rhs(i) -= (lambda2 * grad_psi[q] * grad_v - parameters.cation_valence * (u[0] - u[1]) * v) * dx;
            if (!with_matrix)
              continue;
            for (unsigned int j = 0; j < s.component.size(); ++j)
              {
                const unsigned int m        = s.component[j];
                const double       phi      = s.shape[j];
                const auto        &grad_phi = s.shape_grad[j];
                double             entry    = 0;
                if (e < 2 && m == e)
                  entry = inv_d[e] * bdf[0] / history.step_size() * u[e] * phi * v +
                          u[e] * (phi * drive[e] + grad_phi) * grad_v;
                else if (e < 2 && m == 2)
                  entry = z[e] * u[e] * grad_phi * grad_v;
                else if (e == 2 && m == 2)
                  entry = lambda2 * grad_phi * grad_v;
                else if (e == 2)
                  entry = -parameters.cation_valence * (m == 0 ? u[0] : -u[1]) * phi * v;
                matrix(i, j) += entry * dx;
              }
          }
      }
  }

  template <int dim>
  void Transport<dim>::face_terms(const FEFaceValues<dim> &face_values, const types::boundary_id id,
                                  const std::vector<double> &eta_mech, const LA::MPI::Vector &state,
                                  const CellScratch &s, const bool with_matrix, FullMatrix<double> &matrix,
                                  Vector<double> &rhs) const
  {
    // The electrode current enters one balance (charge conservation with the
    // electroneutral closure, the cation balance with Poisson's); anions do
    // not cross.
    const unsigned int  row = current_row(), potential = potential_component();
    const double        scale = current_scale();
    std::vector<double> u(face_values.n_quadrature_points), w(face_values.n_quadrature_points);
    face_values[FEValuesExtractors::Scalar(0)].get_function_values(state, u);
    face_values[FEValuesExtractors::Scalar(potential)].get_function_values(state, w);
    for (const unsigned int q : face_values.quadrature_point_indices())
      {
        double       d_du, d_dw;
        const double i_n = electrode_current_density(id, face_values.quadrature_point(q), concentration(u[q]), w[q],
                                                     eta_mech[q], &d_du, &d_dw);
        d_du *= d_concentration(u[q]);
        const double ds = face_values.JxW(q);
        for (unsigned int i = 0; i < s.component.size(); ++i)
          if (s.component[i] == row)
            {
              const double v = face_values.shape_value_component(i, q, row);
              rhs(i) += scale * i_n * v * ds;
              if (with_matrix)
                for (unsigned int j = 0; j < s.component.size(); ++j)
                  {
                    const unsigned int m     = s.component[j];
                    const double       slope = (m == 0 ? d_du : m == potential ? d_dw : 0.0);
                    matrix(i, j) -= scale * slope * face_values.shape_value_component(j, q, m) * v * ds;
                  }
            }
      }
    if (parameters.closure == Closure::poisson && parameters.stern_layer_thickness > 0 && has_metal_potential(id))
      {
        // Stern layer: lambda^2 d psi/dn = (lambda^2 / delta) (psi_s - psi) on the electrode.
        const double robin = coefficients().debye_length_squared / parameters.stern_layer_thickness;
        for (const unsigned int q : face_values.quadrature_point_indices())
          {
            const double psi_s = stern_potential(id, face_values.quadrature_point(q));
            const double ds    = face_values.JxW(q);
            for (unsigned int i = 0; i < s.component.size(); ++i)
              if (s.component[i] == 2)
                {
                  const double v = face_values.shape_value_component(i, q, 2);
                  rhs(i) -= robin * (w[q] - psi_s) * v * ds;
                  if (with_matrix)
                    for (unsigned int j = 0; j < s.component.size(); ++j)
                      if (s.component[j] == 2)
                        matrix(i, j) += robin * face_values.shape_value_component(j, q, 2) * v * ds;
                }
          }
      }
  }

  template <int dim>
  bool Transport<dim>::has_metal_potential(const types::boundary_id id) const
  {
    return parameters.electrode_potential.count(id) || galvanostatic_potential.count(id);
  }

  template <int dim>
  double Transport<dim>::stern_potential(const types::boundary_id id, const Point<dim> &x) const
  {
    const auto   potentiostatic = parameters.electrode_potential.find(id);
    const double phi_s       = potentiostatic != parameters.electrode_potential.end() ? potentiostatic->second->value(x)
                                                                                      : galvanostatic_potential.at(id);
    const double equilibrium = parameters.kinetics ? parameters.kinetics->equilibrium : 0.0;
    return (phi_s - equilibrium) / thermal_voltage();
  }

  template <int dim>
  void Transport<dim>::assemble(const bool with_matrix, const LA::MPI::Vector &state)
  {
    const profile::Section section("assembly: transport");
    Timer                  timer;
    if (with_matrix)
      system_matrix = 0;
    system_rhs = 0;
    for (const auto *bc : {&parameters.current_density, &parameters.electrode_potential})
      for (const auto &[id, f] : *bc)
        f->set_time(time);
    if (parameters.source)
      parameters.source->set_time(time);

    const QGauss<dim>                    quadrature(fe->degree + 1);
    FEValues<dim>                        fe_values(mapping, *fe, quadrature,
                                                   update_values | update_gradients | update_quadrature_points | update_JxW_values);
    FEFaceValues<dim>                    face_values(mapping, *fe, QGauss<dim - 1>(fe->degree + 1),
                                                     update_values | update_quadrature_points | update_JxW_values | update_normal_vectors);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  eta_mech;
    CellScratch                          scratch(*fe, quadrature.size());
    const Coefficients                   k = coefficients();

    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell_matrix = 0;
          cell_rhs    = 0;
          fe_values.reinit(cell);
          if (parameters.closure == Closure::poisson)
            scratch.read_log_densities(fe_values, state, history.state(0), history.state(1), bdf);
          else
            scratch.read(fe_values, state, history.history_term());
          if (parameters.source)
            parameters.source->vector_value_list(fe_values.get_quadrature_points(), scratch.sources);
          const auto single_ion = parameters.single_ion_conductivity.find(cell->material_id());
          if (parameters.closure == Closure::poisson)
            cell_terms_poisson(fe_values, k, scratch, with_matrix, cell_matrix, cell_rhs);
          else if (single_ion != parameters.single_ion_conductivity.end())
            cell_terms_single_ion(fe_values, k.conductivity * single_ion->second, scratch, with_matrix, cell_matrix,
                                  cell_rhs);
          else
            cell_terms_electroneutral(fe_values, k, scratch, with_matrix, cell_matrix, cell_rhs);
          for (const unsigned int f : cell->face_indices())
            if (cell->at_boundary(f) && is_electrode(cell->face(f)->boundary_id()))
              {
                face_values.reinit(cell, f);
                mechanical_overpotentials(cell, f, face_values, eta_mech);
                face_terms(face_values, cell->face(f)->boundary_id(), eta_mech, state, scratch, with_matrix,
                           cell_matrix, cell_rhs);
              }
          cell->get_dof_indices(indices);
          if (with_matrix)
            add_cell_contribution(zero_constraints, cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
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
                                                      const double tolerance, unsigned int &linear_iterations)
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
        linear_iterations += solve_linear(y2[l], b[l], tolerance);
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
  unsigned int Transport<dim>::solve_linear(LA::MPI::Vector &x, const LA::MPI::Vector &b, const double tolerance) const
  {
    x = 0;
    if (parameters.closure == Closure::poisson)
      {
        // Debye lengths far below the mesh size make the Poisson block a poor
        // Schur-complement approximation: solve directly.
        solve_direct(system_matrix, x, b);
        zero_constraints.distribute(x);
        return 1;
      }
    LinearSolverSettings settings = parameters.linear_solver;
    settings.relative_tolerance   = tolerance;
    const SolverReport report = solve_gmres(system_matrix, x, b, preconditioner, settings, "Transport (Newton update)");
    zero_constraints.distribute(x);
    return report.iterations;
  }

  template <int dim>
  SolverReport Transport<dim>::advance(const double dt, const unsigned int order)
  {
    const auto bdf_coefficients = history.begin_step(dt, order);
    bdf                         = bdf_coefficients.a;
    const double start_time     = time;
    time                        = start_time + dt;
    last_assembly_time          = 0;

    LA::MPI::Vector state(locally_owned, communicator), ghosted(locally_owned, locally_relevant, communicator);
    state = history.state(0);
    if (!parameters.dirichlet.empty())
      this->make_constraints(); // boundary data at the new time
    constraints.distribute(state);

    // Galvanostatic electrodes add one unknown potential V_k and one equation
    // G_k = integral of i_n - I_k = 0 each; G is weighed like the boundary
    // terms of the field residual. The Newton update of V comes from the
    // bordered solve; the line search scales it like the field's update.
    const auto          potentials_at_start = galvanostatic_potential;
    auto                potentials_before   = galvanostatic_potential;
    std::vector<double> potential_update;
    const double        scale = current_scale();
    NewtonProblem       problem;
    problem.assemble = [&](const LA::MPI::Vector &s, const bool with_jacobian) {
      assemble(with_jacobian, s);
      double squared = system_rhs.norm_sqr();
      for (const double g : galvanostatic_residuals(s))
        squared += scale * scale * g * g;
      return std::sqrt(squared);
    };
    problem.solve = [&](LA::MPI::Vector &update, const double forcing, const bool first) {
      // The AMG hierarchies of the first Jacobian of the step serve all its
      // Newton iterations: the Jacobian changes little within a step.
      if (parameters.closure == Closure::electroneutral && first)
        preconditioner.initialize(system_matrix, {block_dofs[0], block_dofs[1]}, parameters.linear_solver);
      unsigned int iterations = solve_linear(update, system_rhs, forcing);
      potentials_before       = galvanostatic_potential;
      potential_update        = bordered_update(ghosted, update, forcing, iterations);
      return iterations;
    };
    problem.set_step = [&](const double step) {
      unsigned int e = 0;
      for (auto &[id, v] : galvanostatic_potential)
        v = potentials_before.at(id) + step * potential_update[e++];
    };
    NewtonSettings settings;
    settings.max_iterations  = parameters.newton_max_iterations;
    settings.tolerance       = parameters.newton_tolerance;
    settings.maximum_forcing = parameters.maximum_forcing;
    settings.minimum_forcing = parameters.linear_solver.relative_tolerance;
    std::ostringstream what;
    what << "Transport (step to t = " << time << " s, dt = " << dt << " s)";
    SolverReport report;
    try
      {
        report = newton_solve(problem, state, ghosted, settings, what.str());
      }
    catch (...)
      {
        time                    = start_time;
        galvanostatic_potential = potentials_at_start;
        throw;
      }
    last_error = history.local_error_estimate(ghosted, block_dofs[0], bdf_coefficients.order, communicator);
    undo       = {start_time, potentials_at_start, true};
    history.accept(ghosted);
    locally_relevant_solution = ghosted;
    return report;
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
                lowest = std::min(lowest, concentration(v));
            }
    return parameters.bulk_concentration * Utilities::MPI::min(lowest, communicator);
  }

  template <int dim>
  double Transport<dim>::salt_integral(const LA::MPI::Vector &state, const unsigned int component) const
  {
    const QGauss<dim>   quadrature(fe->degree + 1);
    FEValues<dim>       fe_values(mapping, *fe, quadrature, update_values | update_JxW_values);
    std::vector<double> values(quadrature.size());
    double              total = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && !parameters.single_ion_conductivity.count(cell->material_id()))
        {
          fe_values.reinit(cell);
          fe_values[FEValuesExtractors::Scalar(component)].get_function_values(state, values);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            total += concentration(values[q]) * fe_values.JxW(q);
        }
    return Utilities::MPI::sum(total, communicator);
  }

  template <int dim>
  double Transport<dim>::total_charge() const
  {
    if (parameters.closure == Closure::electroneutral)
      return 0;
    return constants::faraday * parameters.cation_valence * parameters.bulk_concentration *
           (salt_integral(locally_relevant_solution, 0) - salt_integral(locally_relevant_solution, 1));
  }

  template <int dim>
  double Transport<dim>::total_cations() const
  {
    return parameters.bulk_concentration * salt_integral(locally_relevant_solution);
  }

  template <int dim>
  void Transport<dim>::restore_salt(LA::MPI::Vector &state, const double target, const unsigned int component) const
  {
    // e = 1 on the free concentration DoFs, completed by the homogeneous
    // constraints (hanging nodes follow, Dirichlet and single-ion DoFs stay
    // 0): state + delta e keeps every constraint and gains delta * int(e).
    LA::MPI::Vector unit(locally_owned, communicator);
    for (const auto i : block_dofs[component])
      if (!constraints.is_constrained(i))
        unit(i) = 1.0;
    unit.compress(VectorOperation::insert);
    zero_constraints.distribute(unit);
    // Linear in delta for concentrations (one step is exact); for log
    // densities (Poisson closure) a few Newton steps on delta.
    LA::MPI::Vector ghosted(locally_owned, locally_relevant, communicator), shifted(state);
    for (unsigned int it = 0; it < (parameters.closure == Closure::poisson ? 8 : 1); ++it)
      {
        ghosted           = state;
        const double salt = salt_integral(ghosted, component);
        const double slope = (parameters.closure == Closure::poisson) ?
                               [&] {
                                 shifted = state;
                                 shifted.add(1e-7, unit);
                                 ghosted = shifted;
                                 return (salt_integral(ghosted, component) - salt) / 1e-7;
                               }() :
                               [&] {
                                 ghosted = unit;
                                 return salt_integral(ghosted, component);
                               }();
        if (slope <= 0 || std::abs(target - salt) <= 1e-15 * std::abs(target))
          break;
        state.add((target - salt) / slope, unit);
      }
  }

  template <int dim>
  std::vector<const LA::MPI::Vector *> Transport<dim>::state_vectors() const
  {
    return history.states_to_transfer();
  }

  template <int dim>
  void Transport<dim>::save_state(std::ostream &out) const
  {
    Field<dim>::save_state(out);
    history.save(out);
    out << galvanostatic_potential.size() << '\n';
    for (const auto &[id, potential] : galvanostatic_potential)
      out << id << ' ' << std::setprecision(17) << potential << '\n';
  }

  template <int dim>
  void Transport<dim>::load_state(std::istream &in)
  {
    Field<dim>::load_state(in);
    history.load(in);
    std::size_t n = 0;
    in >> n;
    galvanostatic_potential.clear();
    for (std::size_t k = 0; k < n; ++k)
      {
        types::boundary_id id        = 0;
        double             potential = 0;
        in >> id >> potential;
        galvanostatic_potential[id] = potential;
      }
  }

  template <int dim>
  void Transport<dim>::before_transfer()
  {
    const auto states = history.states_to_transfer();
    for (unsigned int k = 0; k < 3; ++k)
      for (unsigned int species = 0; species < n_species(); ++species)
        salt_before_transfer[k][species] = salt_integral(*states[k], species);
  }

  template <int dim>
  void Transport<dim>::restore_state(std::vector<LA::MPI::Vector>          &states,
                                     const typename Field<dim>::StateSource source)
  {
    // Interpolation changes the salt content: restore it (transport conserves
    // it). A checkpoint's states are read unchanged.
    if (source == Field<dim>::StateSource::mesh_change)
      for (unsigned int k = 0; k < 3; ++k)
        for (unsigned int species = 0; species < n_species(); ++species)
          restore_salt(states[k], salt_before_transfer[k][species], species);
    history.restore_transferred(states, locally_owned, locally_relevant, communicator);
    locally_relevant_solution.reinit(locally_owned, locally_relevant, communicator);
    locally_relevant_solution = history.state(0);
    undo.possible             = false;
    last_error                = {-1.0, 0};
  }

  template <int dim>
  double Transport<dim>::integrated_current(const types::boundary_id id, const LA::MPI::Vector &state) const
  {
    const QGauss<dim - 1> quadrature(fe->degree + 1);
    FEFaceValues<dim>     face_values(mapping, *fe, quadrature,
                                      update_values | update_quadrature_points | update_JxW_values | update_normal_vectors);
    std::vector<double>   u(quadrature.size()), w(quadrature.size()), eta_mech;
    double                total = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
            {
              face_values.reinit(cell, f);
              face_values[FEValuesExtractors::Scalar(0)].get_function_values(state, u);
              face_values[FEValuesExtractors::Scalar(potential_component())].get_function_values(state, w);
              mechanical_overpotentials(cell, f, face_values, eta_mech);
              for (const unsigned int q : face_values.quadrature_point_indices())
                {
                  double d1, d2;
                  total += electrode_current_density(id, face_values.quadrature_point(q), concentration(u[q]), w[q],
                                                     eta_mech[q], &d1, &d2) *
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

  template <int dim>
  std::vector<std::pair<std::string, std::string>> Transport<dim>::probe_quantities() const
  {
    if (parameters.closure == Closure::poisson)
      return {{"cation_concentration", "mol/m^3"}, {"anion_concentration", "mol/m^3"}, {"electrolyte_potential", "V"}};
    return {{"concentration", "mol/m^3"}, {"electrolyte_potential", "V"}, {"reference_potential", "V"}};
  }

  template <int dim>
  std::vector<std::vector<double>> Transport<dim>::probe(const Probes<dim> &probes) const
  {
    auto         values = probes.evaluate(mapping, dofs, locally_relevant_solution);
    const double c0 = parameters.bulk_concentration, z = parameters.cation_valence;
    for (auto &v : values)
      if (parameters.closure == Closure::poisson)
        v = {c0 * std::exp(v[0]), -c0 * z / parameters.anion_valence * std::exp(v[1]), thermal_voltage() * v[2]};
      else
        v = {c0 * v[0], potential_volts() * (v[1] - std::log(std::max(v[0], 1e-12))), potential_volts() * v[1]};
    return values;
  }

  DENDRA_REGISTER_FIELD(Transport, "transport", 10,
                        "Nernst-Planck Li+ and anion transport with an electroneutral or Poisson closure and "
                        "Butler-Volmer electrodes; transient (subsections Transport, Kinetics, Time stepping, "
                        "Current program).")

  template class Transport<2>;
  template class Transport<3>;
} // namespace dendra

#include <dendra/base/exceptions.h>
#include <dendra/base/profile.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/host_statistics.h>
#include <dendra/kinetics/electrode_kinetics.h>
#include <dendra/materials/material_library.h>
#include <dendra/materials/phase_interpolation.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_tools.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/data_postprocessor.h>
#include <deal.II/numerics/vector_tools.h>

#include <cmath>
#include <cstdint>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  // ---------------------------------------------------------------- gradient energy

  template <int dim>
  GradientEnergy<dim>::GradientEnergy(const double kappa0, const double delta, const double omega, const double theta0)
    : kappa0(kappa0)
    , delta(delta)
    , omega(omega)
    , theta0(theta0)
  {}

  // 2D: e = kappa(theta) |p|^2 / 2 with theta the angle of p; d theta / d p =
  // p_perp / |p|^2, p_perp = (-p_y, p_x), so q = kappa p + kappa'(theta) p_perp / 2.
  // 3D (cubic): e = kappa0 [(1 - 3 delta) |p|^2 / 2 + 2 delta sum p_i^4 / |p|^2].
  template <int dim>
  Tensor<1, dim> GradientEnergy<dim>::flux(const Tensor<1, dim> &p) const
  {
    const double p2 = p.norm_square();
    if (delta == 0 || p2 == 0)
      return kappa0 * p;
    if constexpr (dim == 2)
      {
        const double   theta  = std::atan2(p[1], p[0]);
        const double   kappa  = kappa0 * (1 + delta * std::cos(omega * (theta - theta0)));
        const double   dkappa = -kappa0 * delta * omega * std::sin(omega * (theta - theta0));
        Tensor<1, dim> q      = kappa * p;
        q[0] += -0.5 * dkappa * p[1];
        q[1] += 0.5 * dkappa * p[0];
        return q;
      }
    else
      {
        double s4 = 0;
        for (unsigned int i = 0; i < dim; ++i)
          s4 += std::pow(p[i], 4);
        Tensor<1, dim> q = kappa0 * (1 - 3 * delta) * p;
        for (unsigned int i = 0; i < dim; ++i)
          q[i] += 2 * kappa0 * delta * (4 * std::pow(p[i], 3) / p2 - 2 * p[i] * s4 / (p2 * p2));
        return q;
      }
  }

  template <int dim>
  Tensor<2, dim> GradientEnergy<dim>::flux_derivative(const Tensor<1, dim> &p) const
  {
    const double p2 = p.norm_square();
    if (delta == 0 || p2 == 0)
      return kappa0 * unit_symmetric_tensor<dim>();
    Tensor<2, dim> dq;
    if constexpr (dim == 2)
      {
        const double   theta   = std::atan2(p[1], p[0]);
        const double   kappa   = kappa0 * (1 + delta * std::cos(omega * (theta - theta0)));
        const double   dkappa  = -kappa0 * delta * omega * std::sin(omega * (theta - theta0));
        const double   d2kappa = -kappa0 * delta * omega * omega * std::cos(omega * (theta - theta0));
        Tensor<1, dim> perp;
        perp[0]                     = -p[1];
        perp[1]                     = p[0];
        const Tensor<1, dim> dtheta = perp / p2;
        dq                          = kappa * unit_symmetric_tensor<dim>() + dkappa * outer_product(p, dtheta) +
             0.5 * d2kappa * outer_product(perp, dtheta);
        dq[0][1] += -0.5 * dkappa;
        dq[1][0] += 0.5 * dkappa;
      }
    else
      {
        double s4 = 0;
        for (unsigned int i = 0; i < dim; ++i)
          s4 += std::pow(p[i], 4);
        const double c = 2 * kappa0 * delta;
        for (unsigned int i = 0; i < dim; ++i)
          for (unsigned int k = 0; k < dim; ++k)
            {
              double d = -8 * std::pow(p[i], 3) * p[k] / (p2 * p2) - 8 * p[i] * std::pow(p[k], 3) / (p2 * p2) +
                         8 * p[i] * p[k] * s4 / (p2 * p2 * p2);
              if (i == k)
                d += 12 * p[i] * p[i] / p2 - 2 * s4 / (p2 * p2);
              dq[i][k] = c * d + (i == k ? kappa0 * (1 - 3 * delta) : 0.0);
            }
      }
    return dq;
  }

  // ---------------------------------------------------------------- parameters

  template <int dim>
  void Electrodeposition<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Electrodeposition");
    prm.declare_entry("Polynomial degree", "1", Patterns::Integer(1, 2), "Degree of xi, c and phi (-).");
    prm.declare_entry("Interface energy", "0.556", Patterns::Double(0), "gamma (J/m^2), > 0.");
    prm.declare_entry("Interface thickness", "1.5e-6", Patterns::Double(0),
                      "delta (m), > 0; the double-well height is W = 12 gamma / delta and the gradient "
                      "coefficient kappa0 = 3 gamma delta / 2. Resolve it with at least 3 cells.");
    prm.declare_entry("Anisotropy strength", "0.044", Patterns::Double(0, 1),
                      "delta_a in kappa = kappa0 [1 + delta_a cos(omega (theta - theta0))] (-), in [0, 1); 3D: "
                      "cubic anisotropy kappa0 [1 + delta_a (4 sum n_i^4 - 3)].");
    prm.declare_entry("Anisotropy mode", "4", Patterns::Double(0),
                      "omega (-), the number of preferred growth directions in 2D; 3D supports 4 (cubic).");
    prm.declare_entry("Anisotropy angle", "0", Patterns::Double(), "theta0 (rad), 2D: rotates the anisotropy.");
    prm.declare_entry("Interface mobility", "2.5e-6", Patterns::Double(0), "L_sigma (m^3/(J s)), > 0.");
    prm.declare_entry("Reaction constant", "1.81e-3", Patterns::Double(0), "L_eta (1/s), > 0.");
    prm.declare_entry("Transfer coefficient", "0.5", Patterns::Double(0, 1), "alpha (-), in (0, 1).");
    prm.declare_entry("Charge number", "1", Patterns::Double(0), "n (-), > 0; 1 for Li.");
    prm.declare_entry("Equilibrium potential", "0", Patterns::Double(), "U0 (V): eta = phi - U0.");
    prm.declare_entry("Metal diffusivity", "7.5e-13", Patterns::Double(0), "D_s of Li+ in the metal phase (m^2/s).");
    prm.declare_entry("Electrolyte diffusivity", "3.197e-10", Patterns::Double(0),
                      "D_l of Li+ in the electrolyte (m^2/s), > 0.");
    prm.declare_entry("Electrolyte material", "Liquid electrolyte", Patterns::Anything(),
                      "The material (subsection Materials) of the electrolyte phase: its Ionic conductivity is "
                      "sigma_l. The metal phase conducts with Materials/Li metal/Electronic conductivity (sigma_s), "
                      "and Li metal's Molar volume gives c_s; c0 and T are Conditions/Bulk concentration and "
                      "Conditions/Temperature.");
    for (const auto &[name, home] : moved_entries())
      declare_moved_entry(prm, name, home);
    prm.declare_entry("Noise amplitude", "0", Patterns::Double(0),
                      "A (1/s): adds A zeta 16 xi^2 (1 - xi)^2 to dxi/dt, zeta uniform in [-1, 1] on a lattice of "
                      "Noise length, fixed in time (a heterogeneous surface the front runs through); seeds side "
                      "branches and tip splits. 0: none.");
    prm.declare_entry("Noise length", "5e-7", Patterns::Double(0),
                      "Edge of the lattice cells on which the noise zeta is constant (m), > 0.");
    prm.declare_entry("Noise seed", "1", Patterns::Integer(0),
                      "Seed of the noise (-): the noise depends only on the seed and the position, so a run sees "
                      "the same noise on any mesh and any number of ranks.");
    prm.declare_entry("Host materials", "", Patterns::Anything(),
                      "Comma-separated electronically conducting host materials (e.g. 'Cu, rGO'): their cells hold "
                      "xi = 1, so Li plates on their surfaces, and conduct with the material's Electronic "
                      "conductivity; within one Interface thickness of a host surface the reaction constant is "
                      "scaled by the material's Exchange current factor and the equilibrium potential lowered by "
                      "its Nucleation overpotential, so plating there needs that much more cathodic overpotential "
                      "(subsection Materials). Empty: no host.");
    prm.declare_entry("Stress coupling", "hydrostatic", Patterns::Selection("hydrostatic|monroe-newman"),
                      "Mechanical term of the overpotential when elasticity is solved too: hydrostatic "
                      "eta_mech = -Omega_Li sigma_h / F; monroe-newman: normal-stress form with "
                      "Materials/<Electrolyte material>/Li+ partial molar volume (README, Deposition runs).");
    prm.declare_entry("Stress-free phase", "", Patterns::Anything(),
                      "xi_ref(x, y[, z]) (-): the Li that carries no growth eigenstrain when elasticity is solved "
                      "too (the plated Li is h(xi) - h(xi_ref)); empty = the initial phase.");
    prm.declare_entry("Initial phase", "0", Patterns::Anything(),
                      "xi_0(x, y[, z]) (-): 1 in Li metal, 0 in the electrolyte, a smooth profile between, e.g. "
                      "0.5 * (1 - tanh((y - 5e-6) / 1.5e-6)); 'geometry': the geometry's initial Li (the Li "
                      "fill of a host, the infiltrated pores, ...) in the equilibrium profile 1/2 [1 + tanh(2 s / "
                      "delta)] of the signed distance s to the surface of its Li metal cells.");
    prm.declare_entry("Li+ transport", "nernst-planck", Patterns::Selection("nernst-planck|single-ion"),
                      "Li+ in the electrolyte phase: nernst-planck (liquid, polymer: Chen et al.'s balance with "
                      "diffusion and migration, Electrolyte diffusivity); single-ion (solid electrolytes such as "
                      "LLZO: the Li+ sublattice has a fixed concentration, c = c0 everywhere, so eta = 0 is "
                      "equilibrium, and the charge balance with the Electrolyte conductivity alone carries Li+; "
                      "the exchange current density of the diffuse interface is i0 = 1.5 n F c_s L_eta delta).");
    prm.enter_subsection("Boundary conditions");
    prm.declare_entry("Electrode potential", "", Patterns::Anything(),
                      "Current collectors under the metal 'b: V(x, y, z, t); ...' (V): phi = V and xi = 1 there.");
    prm.declare_entry("Reservoir", "", Patterns::Anything(),
                      "Comma-separated boundaries (ids or names) with c = c0, xi = 0 and phi = 0 (unless the "
                      "boundary has a Current density).");
    prm.declare_entry("Current density", "", Patterns::Anything(),
                      "Galvanostatic boundaries 'b: i(x, y, z, t); ...': current density entering the domain "
                      "(A/m^2; > 0 plates Li on the metal).");
    prm.leave_subsection();
    prm.declare_entry("Newton iterations", "30", Patterns::Integer(1), "Newton iteration limit per step (-).");
    prm.declare_entry("Newton tolerance", "1e-8", Patterns::Double(0, 1), "Relative residual reduction (-).");
    prm.declare_entry("Linear solver type", "direct", Patterns::Selection("direct|iterative"),
                      "Newton updates by a sparse direct solve (direct: robust, for 2D and small 3D meshes) or by "
                      "GMRES with one AMG V-cycle per field in block Gauss-Seidel order xi, phi, c (iterative: "
                      "for large 3D meshes; settings in subsection Linear solver).");
    prm.declare_entry("Maximum forcing term", "1e-4", Patterns::Double(0, 1),
                      "Iterative solver: largest relative tolerance of a Newton update's GMRES solve (-), in "
                      "[0, 1); it tightens as Newton converges (Eisenstat-Walker).");
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, default_linear_solver());
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  std::vector<std::pair<std::string, std::string>> Electrodeposition<dim>::Parameters::moved_entries()
  {
    return {{"Li molar volume", "Materials/Li metal/Molar volume"},
            {"Bulk concentration", "Conditions/Bulk concentration"},
            {"Metal conductivity", "Materials/Li metal/Electronic conductivity"},
            {"Electrolyte conductivity", "Materials/<Electrolyte material>/Ionic conductivity"},
            {"Temperature", "Conditions/Temperature"},
            {"Electrolyte Li+ molar volume", "Materials/<Electrolyte material>/Li+ partial molar volume"}};
  }

  template <int dim>
  LinearSolverSettings Electrodeposition<dim>::Parameters::default_linear_solver()
  {
    LinearSolverSettings settings;
    settings.relative_tolerance = 1e-8;
    settings.max_iterations     = 200;
    // ML's aggregation fails on the hanging-node rows of adaptive meshes here
    // (GMRES stalls at any time step); BoomerAMG converges in 2D and 3D.
    settings.amg_type  = "boomeramg";
    settings.threshold = 0.25;
    return settings;
  }

  template <int dim>
  void Electrodeposition<dim>::Parameters::parse_parameters(ParameterHandler &prm, const BoundaryNames &names,
                                                            const MaterialLibrary &materials)
  {
    prm.enter_subsection("Electrodeposition");
    degree                = prm.get_integer("Polynomial degree");
    interface_energy      = prm.get_double("Interface energy");
    interface_thickness   = prm.get_double("Interface thickness");
    anisotropy_strength   = prm.get_double("Anisotropy strength");
    anisotropy_mode       = prm.get_double("Anisotropy mode");
    anisotropy_angle      = prm.get_double("Anisotropy angle");
    interface_mobility    = prm.get_double("Interface mobility");
    reaction_constant     = prm.get_double("Reaction constant");
    transfer_coefficient  = prm.get_double("Transfer coefficient");
    charge_number         = prm.get_double("Charge number");
    equilibrium_potential = prm.get_double("Equilibrium potential");
    for (const auto &[name, home] : moved_entries())
      check_moved_entry(prm, name, "Electrodeposition/", home);
    metal_diffusivity       = prm.get_double("Metal diffusivity");
    electrolyte_diffusivity = prm.get_double("Electrolyte diffusivity");
    const Material &li      = materials.by_name("Li metal", "Electrodeposition");
    const Material &electrolyte =
      materials.by_name(Utilities::trim(prm.get("Electrolyte material")), "Electrodeposition/Electrolyte material");
    molar_volume             = li.molar_volume;
    metal_conductivity       = li.electronic_conductivity;
    electrolyte_conductivity = electrolyte.ionic_conductivity;
    require_input(electrolyte_conductivity > 0, "Electrodeposition/Electrolyte material: '" + electrolyte.name +
                                                  "' has Ionic conductivity 0; set it in subsection Materials");
    bulk_concentration = materials.conditions().bulk_concentration;
    temperature        = materials.conditions().temperature;
    noise_amplitude    = prm.get_double("Noise amplitude");
    noise_length       = prm.get_double("Noise length");
    noise_seed         = prm.get_integer("Noise seed");
    stress_coupling =
      prm.get("Stress coupling") == "hydrostatic" ? StressCoupling::hydrostatic : StressCoupling::monroe_newman;
    electrolyte_li_volume         = electrolyte.li_ion_volume;
    const std::string stress_free = prm.get("Stress-free phase");
    stress_free_phase =
      stress_free.empty() ? nullptr : parse_function<dim>({stress_free}, "Electrodeposition/Stress-free phase");
    initial_phase_from_geometry = Utilities::trim(prm.get("Initial phase")) == "geometry";
    initial_phase               = initial_phase_from_geometry
                                    ? nullptr
                                    : parse_function<dim>({prm.get("Initial phase")}, "Electrodeposition/Initial phase");
    geometry_li_material        = initial_phase_from_geometry ? li.id : numbers::invalid_material_id;
    li_transport = prm.get("Li+ transport") == "single-ion" ? LiTransport::single_ion : LiTransport::nernst_planck;
    hosts.clear();
    for (const auto &name : split_top_level(prm.get("Host materials"), ','))
      if (!name.empty())
        {
          const Material &m = materials.by_name(name, "Electrodeposition/Host materials");
          hosts[m.id]       = {m.electronic_conductivity, {m.exchange_current_factor, m.nucleation_overpotential}};
        }
    prm.enter_subsection("Boundary conditions");
    const std::string where = "Electrodeposition/Boundary conditions/";
    electrode_potential =
      parse_boundary_functions<dim>(prm.get("Electrode potential"), 1, where + "Electrode potential", names);
    current_density = parse_boundary_functions<dim>(prm.get("Current density"), 1, where + "Current density", names);
    reservoir.clear();
    std::string reservoir_map;
    for (const auto &b : split_top_level(prm.get("Reservoir"), ','))
      if (!b.empty())
        reservoir_map += b + ": 0;";
    for (const auto &[id, unused] : parse_boundary_map(reservoir_map, where + "Reservoir", names))
      reservoir.push_back(id);
    prm.leave_subsection();
    newton.max_iterations  = prm.get_integer("Newton iterations");
    newton.tolerance       = prm.get_double("Newton tolerance");
    iterative_solver       = prm.get("Linear solver type") == "iterative";
    newton.maximum_forcing = prm.get_double("Maximum forcing term");
    prm.enter_subsection("Linear solver");
    linear_solver.parse_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  // ---------------------------------------------------------------- field

  namespace
  {
    /// SplitMix64 step: mixes @p x into a well-distributed 64-bit value.
    std::uint64_t mix(std::uint64_t x)
    {
      x += 0x9e3779b97f4a7c15ULL;
      x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
      x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
      return x ^ (x >> 31);
    }

    /// Frozen noise zeta in [-1, 1], constant on the lattice cells of edge
    /// @p length (m): a hash of the seed and the lattice cell of @p p, so it
    /// depends neither on the mesh, its partition nor the time step. (Noise
    /// redrawn every step would be a jump in time that the step-size control
    /// answers with tiny steps.)
    template <int dim>
    double lattice_noise(const Point<dim> &p, const double length, const unsigned int seed)
    {
      std::uint64_t h = mix(seed);
      for (unsigned int d = 0; d < dim; ++d)
        h = mix(h ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(std::floor(p[d] / length))));
      return 2.0 * static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53) - 1.0;
    }

    /// Writes xi, c = c0 u (mol/m^3) and phi = psi R T / F (V).
    template <int dim>
    class DepositionUnits : public DataPostprocessor<dim>
    {
    public:
      DepositionUnits(const double c0, const double volts)
        : c0(c0)
        , volts(volts)
      {}
      void evaluate_vector_field(const DataPostprocessorInputs::Vector<dim> &inputs,
                                 std::vector<Vector<double>>                &computed) const override
      {
        for (unsigned int q = 0; q < computed.size(); ++q)
          {
            computed[q](0) = inputs.solution_values[q](0);
            computed[q](1) = c0 * inputs.solution_values[q](1);
            computed[q](2) = volts * inputs.solution_values[q](2);
          }
      }
      std::vector<std::string> get_names() const override { return {"li_phase", "concentration", "potential"}; }
      UpdateFlags              get_needed_update_flags() const override { return update_values; }

    private:
      double c0, volts;
    };

  } // namespace

  template <int dim>
  Electrodeposition<dim>::Electrodeposition(const parallel::distributed::Triangulation<dim> &tria,
                                            const Parameters                                &parameters)
    : TransientField<dim>(tria, std::make_unique<FESystem<dim>>(FE_Q<dim>(parameters.degree), 3))
    , parameters(parameters)
    , gradient_energy(parameters.gradient_coefficient(), parameters.anisotropy_strength, parameters.anisotropy_mode,
                      parameters.anisotropy_angle)
    , output_units(std::make_unique<DepositionUnits<dim>>(parameters.bulk_concentration,
                                                          constants::gas * parameters.temperature / constants::faraday))
  {
    // Chen et al.'s reaction rate is the Butler-Volmer bracket with the
    // concentration on the plating branch: unit i0 (L_eta scales it) and the
    // scaled concentration u = c / c0.
    reaction.i0_ref                  = 1;
    reaction.c_ref                   = 1;
    reaction.alpha_a                 = (1 - parameters.transfer_coefficient) * parameters.charge_number;
    reaction.alpha_c                 = parameters.transfer_coefficient * parameters.charge_number;
    reaction.temperature             = parameters.temperature;
    reaction.concentration           = ElectrodeKinetics::ConcentrationDependence::cathodic_branch;
    mechanical.form                  = parameters.stress_coupling;
    mechanical.molar_volume          = parameters.molar_volume;
    mechanical.electrolyte_li_volume = parameters.electrolyte_li_volume;
    mechanical.charge_number         = parameters.charge_number;
    const std::string where          = "Electrodeposition/";
    require_positive(where, {{"Interface energy", parameters.interface_energy},
                             {"Interface thickness", parameters.interface_thickness},
                             {"Interface mobility", parameters.interface_mobility},
                             {"Reaction constant", parameters.reaction_constant},
                             {"Charge number", parameters.charge_number},
                             {"Electrolyte diffusivity", parameters.electrolyte_diffusivity},
                             {"Noise length", parameters.noise_length}});
    require_positive("", {{"Materials/Li metal/Molar volume", parameters.molar_volume},
                          {"Materials/Li metal/Electronic conductivity", parameters.metal_conductivity},
                          {"the electrolyte's Ionic conductivity", parameters.electrolyte_conductivity},
                          {"Conditions/Bulk concentration", parameters.bulk_concentration},
                          {"Conditions/Temperature", parameters.temperature}});
    require_input(parameters.metal_diffusivity >= 0, where + "Metal diffusivity must be >= 0");
    require_input(parameters.noise_amplitude >= 0, where + "Noise amplitude must be >= 0");
    require_input(parameters.transfer_coefficient > 0 && parameters.transfer_coefficient < 1,
                  where + "Transfer coefficient = " + format_number(parameters.transfer_coefficient) +
                    " must be in (0, 1)");
    require_input(parameters.anisotropy_strength >= 0 && parameters.anisotropy_strength < 1,
                  where + "Anisotropy strength = " + format_number(parameters.anisotropy_strength) +
                    " must be in [0, 1)");
    require_input(dim == 2 || parameters.anisotropy_strength == 0 || parameters.anisotropy_mode == 4,
                  where + "Anisotropy mode = " + format_number(parameters.anisotropy_mode) +
                    ": 3D supports the cubic anisotropy (mode 4) only");
    for (const auto &[id, host] : parameters.hosts)
      {
        const std::string what = where + "Host materials: material id " + std::to_string(id) + " ";
        require_input(host.conductivity > 0, what + "needs an Electronic conductivity > 0 S/m");
        require_input(host.surface.exchange_current_factor > 0, what + "needs an Exchange current factor > 0");
        require_input(host.surface.nucleation_overpotential >= 0, what + "needs a Nucleation overpotential >= 0 V");
      }
    require_input(!parameters.electrode_potential.empty() || !parameters.reservoir.empty(),
                  where + "Boundary conditions: name an Electrode potential or a Reservoir; otherwise phi is "
                          "undetermined");
  }

  template <int dim>
  double Electrodeposition<dim>::thermal_voltage() const
  {
    return constants::gas * parameters.temperature / constants::faraday;
  }

  template <int dim>
  void Electrodeposition<dim>::add_boundary_constraints(AffineConstraints<double> &c)
  {
    const FEValuesExtractors::Scalar xi(0), u(1), psi(2);
    for (const auto &[id, potential] : parameters.electrode_potential)
      {
        potential->set_time(time);
        const double scale = 1 / thermal_voltage();
        const auto   value = [&](const Point<dim> &x) { return scale * potential->value(x); };
        VectorTools::interpolate_boundary_values(
          mapping, dofs, id, Functions::ConstantFunction<dim>(std::vector<double>{1, 0, 0}), c, fe->component_mask(xi));
        VectorTools::interpolate_boundary_values(
          mapping, dofs, id, VectorFunctionFromScalarFunctionObject<dim>(value, 2, 3), c, fe->component_mask(psi));
      }
    for (const auto id : parameters.reservoir)
      {
        ComponentMask mask = fe->component_mask(xi) | fe->component_mask(u);
        if (!parameters.current_density.count(id))
          mask = mask | fe->component_mask(psi);
        VectorTools::interpolate_boundary_values(
          mapping, dofs, id, Functions::ConstantFunction<dim>(std::vector<double>{0, 1, 0}), c, mask);
      }
    add_host_constraints(c);
  }

  template <int dim>
  void Electrodeposition<dim>::add_host_constraints(AffineConstraints<double> &c) const
  {
    if (parameters.hosts.empty())
      return;
    // Every xi DoF of a host cell, including those on its surface: there the
    // host acts as Li metal that is always present, as at a current collector.
    std::vector<types::global_dof_index> indices(fe->n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if ((cell->is_locally_owned() || cell->is_ghost()) && is_host_cell(cell))
        {
          cell->get_dof_indices(indices);
          for (unsigned int i = 0; i < indices.size(); ++i)
            if (fe->system_to_component_index(i).first == 0 && !c.is_constrained(indices[i]))
              {
                c.add_line(indices[i]);
                c.set_inhomogeneity(indices[i], 1.0);
              }
        }
  }

  template <int dim>
  std::set<types::material_id> Electrodeposition<dim>::host_ids() const
  {
    std::set<types::material_id> ids;
    for (const auto &[id, host] : parameters.hosts)
      ids.insert(id);
    return ids;
  }

  template <int dim>
  void Electrodeposition<dim>::compute_surface_weights()
  {
    surface = HostSurface<dim>(triangulation, host_ids());
    surface_weight.assign(triangulation.n_active_cells(), {});
    surface_material.assign(triangulation.n_active_cells(), numbers::invalid_material_id);
    if (surface.empty())
      return;
    // Weight 1 - d / delta: the host's kinetics act on the diffuse interface
    // while it touches the surface, Li-on-Li kinetics once the deposit is
    // thicker than the interface.
    const double      delta = parameters.interface_thickness;
    const QGauss<dim> quadrature(fe->degree + 1);
    FEValues<dim>     fe_values(mapping, *fe, quadrature, update_quadrature_points);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && !is_host_cell(cell))
        {
          const auto nearest = surface.nearest(cell->center());
          if (cell->center().distance(surface.point(nearest)) > delta + cell->diameter())
            continue;
          fe_values.reinit(cell);
          std::vector<double> weight(quadrature.size());
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            weight[q] = std::max(0.0, 1 - surface.distance(fe_values.quadrature_point(q)) / delta);
          surface_weight[cell->active_cell_index()]   = std::move(weight);
          surface_material[cell->active_cell_index()] = surface.material(nearest);
        }
  }

  namespace
  {
    /// The initial state in the unknowns: xi_0, u = 1 - h(xi_0) (1 for a
    /// single-ion conductor), psi = psi_V h(xi_0).
    template <int dim>
    class InitialState : public Function<dim>
    {
    public:
      InitialState(std::function<double(const Point<dim> &)> phase, const double metal_psi, const bool single_ion)
        : Function<dim>(3)
        , phase(std::move(phase))
        , metal_psi(metal_psi)
        , single_ion(single_ion)
      {}
      double value(const Point<dim> &x, const unsigned int component) const override
      {
        const double xi = std::clamp(phase(x), 0.0, 1.0);
        const double h  = phase_interpolation(xi);
        return component == 0 ? xi : component == 1 ? (single_ion ? 1 : 1 - h) : metal_psi * h;
      }

    private:
      std::function<double(const Point<dim> &)> phase;
      double                                    metal_psi;
      bool                                      single_ion;
    };
  } // namespace

  template <int dim>
  void Electrodeposition<dim>::setup_system()
  {
    Field<dim>::setup_dofs();
    this->make_zero_constraints(zero_constraints);
    compute_surface_weights();
    component_dofs.clear();
    for (unsigned int c = 0; c < 3; ++c)
      component_dofs.push_back(DoFTools::extract_dofs(dofs, fe->component_mask(FEValuesExtractors::Scalar(c))));
  }

  template <int dim>
  void Electrodeposition<dim>::setup_dofs()
  {
    setup_system();
    if (parameters.initial_phase_from_geometry && parameters.geometry_li_material != numbers::invalid_material_id)
      {
        // Li against everything but the hosts, whose xi = 1 continues the metal.
        initial_li_surface = HostSurface<dim>(triangulation, {parameters.geometry_li_material}, host_ids());
      }
    // The metal starts at the (first) electrode's potential.
    double metal_psi = 0;
    if (!parameters.electrode_potential.empty())
      {
        auto &potential = *parameters.electrode_potential.begin()->second;
        potential.set_time(time);
        metal_psi = potential.value(Point<dim>()) / thermal_voltage();
      }
    LA::MPI::Vector initial(locally_owned, communicator);
    const auto      phase      = [this](const Point<dim> &x) { return initial_xi(x); };
    const bool      single_ion = parameters.li_transport == LiTransport::single_ion;
    VectorTools::interpolate(mapping, dofs, InitialState<dim>(phase, metal_psi, single_ion), initial);
    // Hosts start as metal at the electrode potential: xi = 1, u = 0 (1 for a
    // single-ion conductor), psi = psi_V.
    std::vector<types::global_dof_index> indices(fe->n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if ((cell->is_locally_owned() || cell->is_ghost()) && is_host_cell(cell))
        {
          cell->get_dof_indices(indices);
          for (unsigned int i = 0; i < indices.size(); ++i)
            if (locally_owned.is_element(indices[i]))
              {
                const unsigned int c = fe->system_to_component_index(i).first;
                initial(indices[i])  = (c == 0 ? 1.0 : c == 1 ? (single_ion ? 1.0 : 0.0) : metal_psi);
              }
        }
    initial.compress(VectorOperation::insert);
    constraints.distribute(initial);
    locally_relevant_solution = initial;
    initial_state.reinit(locally_owned, locally_relevant, communicator);
    initial_state = initial;
    history.reset(initial, locally_owned, locally_relevant, communicator);
    last_error = {-1.0, 0};
  }

  template <int dim>
  double Electrodeposition<dim>::equilibrium_profile(const double s) const
  {
    // kappa0 xi'' = g'(xi) in 1D: width sqrt(2 kappa0 / W) = delta / 2.
    return 0.5 * (1 + std::tanh(2 * s / parameters.interface_thickness));
  }

  template <int dim>
  double Electrodeposition<dim>::initial_xi(const Point<dim> &x) const
  {
    // A sharp metal surface (xi jumping from 1 to 0 within one cell) relaxes
    // in the first steps with xi_t far beyond what the current allows, which
    // the Li+ balance answers with c < 0. So the geometry's Li starts in the
    // equilibrium profile across its surface (which keeps its volume), and
    // host surfaces start wetted by a Li film half an interface thickness thick.
    double xi = parameters.initial_phase ? parameters.initial_phase->value(x) : 0.0;
    if (!initial_li_surface.empty())
      {
        const double distance = initial_li_surface.distance(x);
        xi                    = equilibrium_profile(xi >= 0.5 ? distance : -distance);
      }
    if (!surface.empty())
      xi = std::max(xi, equilibrium_profile(parameters.interface_thickness / 2 - surface.distance(x)));
    return xi;
  }

  template <int dim>
  std::shared_ptr<Function<dim>> Electrodeposition<dim>::initial_phase() const
  {
    return std::make_shared<ScalarFunctionFromFunctionObject<dim>>(
      [this](const Point<dim> &x) { return initial_xi(x); });
  }

  /// The state, its BDF history term and the shapes at the quadrature points of one cell.
  template <int dim>
  struct Electrodeposition<dim>::Scratch
  {
    Scratch(const FiniteElement<dim> &fe, const unsigned int n_q)
      : values(n_q, Vector<double>(3))
      , history(n_q, Vector<double>(3))
      , mechanical(n_q, 0.0)
      , gradients(n_q, std::vector<Tensor<1, dim>>(3))
      , component(fe.n_dofs_per_cell())
      , shape(fe.n_dofs_per_cell())
      , shape_grad(fe.n_dofs_per_cell())
    {
      for (unsigned int i = 0; i < fe.n_dofs_per_cell(); ++i)
        component[i] = fe.system_to_component_index(i).first;
    }
    void read(const FEValues<dim> &fe_values, const LA::MPI::Vector &state, const LA::MPI::Vector &history_term)
    {
      fe_values.get_function_values(state, values);
      fe_values.get_function_values(history_term, history);
      fe_values.get_function_gradients(state, gradients);
    }
    void read_shapes(const FEValues<dim> &fe_values, const unsigned int q)
    {
      for (unsigned int i = 0; i < component.size(); ++i)
        {
          shape[i]      = fe_values.shape_value(i, q);
          shape_grad[i] = fe_values.shape_grad(i, q);
        }
    }
    std::vector<Vector<double>> values, history;
    std::vector<double>         mechanical;                  ///< F eta_mech / (R T) (-)
    double                      host_conductivity = -1;      ///< sigma_e of a host cell (S/m); < 0: not a host cell
    const std::vector<double>  *surface_weight    = nullptr; ///< host surface weight per point (-); null: none
    SurfaceKinetics             surface;                     ///< kinetics of the nearby host surface
    std::vector<std::vector<Tensor<1, dim>>> gradients;
    std::vector<unsigned int>                component;
    std::vector<double>                      shape;
    std::vector<Tensor<1, dim>>              shape_grad;
  };

  template <int dim>
  void Electrodeposition<dim>::set_host_data(const typename DoFHandler<dim>::active_cell_iterator &cell,
                                             Scratch                                              &scratch) const
  {
    const auto host           = parameters.hosts.find(cell->material_id());
    scratch.host_conductivity = host != parameters.hosts.end() ? host->second.conductivity : -1.0;
    const auto index          = cell->active_cell_index();
    scratch.surface_weight    = surface_weight[index].empty() ? nullptr : &surface_weight[index];
    scratch.surface = scratch.surface_weight ? parameters.hosts.at(surface_material[index]).surface : SurfaceKinetics();
  }

  template <int dim>
  void Electrodeposition<dim>::cell_terms(const FEValues<dim> &fe_values, Scratch &s, const bool with_jacobian,
                                          FullMatrix<double> &matrix, Vector<double> &rhs) const
  {
    // Rows: phase field (0), Li+ balance (1), charge balance (2), each in 1/s
    // (the single-ion Li+ row is dimensionless):
    // the charge balance is divided by n F c_s, so that its conductivity
    // becomes a "potential diffusivity" D_psi = sigma R T / (n F^2 c_s) (m^2/s).
    const auto  &p = parameters;
    const double n = p.charge_number, volts = thermal_voltage();
    const double c_s         = 1 / p.molar_volume;
    const double W           = p.barrier_height();
    const double psi_eq      = p.equilibrium_potential / thermal_voltage();
    const double psi_scale   = thermal_voltage() / (n * constants::faraday * c_s);
    const double a0_dt       = bdf.a[0] / history.step_size();
    const double consumption = c_s / p.bulk_concentration;
    // A single-ion conductor's Li+ row is the algebraic u = 1: its Li+
    // sublattice has a fixed concentration, so the reaction sees unit
    // activity and eta = 0 is equilibrium; Li+ moves as the current does.
    const bool single_ion = p.li_transport == LiTransport::single_ion;
    for (unsigned int q = 0; q < fe_values.n_quadrature_points; ++q)
      {
        const double xi = s.values[q](0), u = s.values[q](1), psi = s.values[q](2);
        const auto  &grad_xi = s.gradients[q][0], &grad_u = s.gradients[q][1], &grad_psi = s.gradients[q][2];
        const double xi_t = (bdf.a[0] * xi + s.history[q](0)) / history.step_size();
        const double u_t  = (bdf.a[0] * u + s.history[q](1)) / history.step_size();
        const double h = phase_interpolation(xi), dh = phase_interpolation_d(xi);
        const double D    = p.metal_diffusivity * h + p.electrolyte_diffusivity * (1 - h);
        const double dD   = (p.metal_diffusivity - p.electrolyte_diffusivity) * dh;
        const bool   host = s.host_conductivity >= 0; // xi = 1 there: no reaction, its own conductivity
        const double Dpsi =
          psi_scale * (host ? s.host_conductivity : p.metal_conductivity * h + p.electrolyte_conductivity * (1 - h));
        const double dDpsi = host ? 0.0 : psi_scale * (p.metal_conductivity - p.electrolyte_conductivity) * dh;
        // Next to a host surface: its exchange current and nucleation overpotential.
        const double w     = s.surface_weight ? (*s.surface_weight)[q] : 0.0;
        const double L_eta = p.reaction_constant * s.surface.exchange_scale(w);
        const double dg = 2 * W * xi * (1 - xi) * (1 - 2 * xi), d2g = 2 * W * (1 - 6 * xi + 6 * xi * xi);
        // The Butler-Volmer bracket (-) of the shared kinetics, in volts there.
        const double eta_volts = (psi - psi_eq + s.mechanical[q]) * volts + s.surface.overpotential_shift(w);
        const double bv        = reaction.current_density(eta_volts, u);
        const double dbv_du    = reaction.d_current_d_c(eta_volts, u);
        const double dbv_dpsi  = reaction.d_current_d_eta(eta_volts, u) * volts;
        const auto   q_xi      = gradient_energy.flux(grad_xi);
        const auto   li_flux   = grad_u + n * u * grad_psi; // -(Li+ flux) / (D c0)
        // Noise on the interface only: weight 16 xi^2 (1 - xi)^2, 1 at xi = 1/2.
        const double zeta  = p.noise_amplitude > 0 ? p.noise_amplitude * lattice_noise(fe_values.quadrature_point(q),
                                                                                       p.noise_length, p.noise_seed)
                                                   : 0.0;
        const double noise = zeta * 16 * xi * xi * (1 - xi) * (1 - xi);
        const double phase_source  = p.interface_mobility * dg + L_eta * dh * bv - noise;
        const double dx            = fe_values.JxW(q);
        const Tensor<2, dim> dq_xi = with_jacobian ? gradient_energy.flux_derivative(grad_xi) : Tensor<2, dim>();
        s.read_shapes(fe_values, q);
        for (unsigned int i = 0; i < s.component.size(); ++i)
          {
            const double v      = s.shape[i];
            const auto  &grad_v = s.shape_grad[i];
            switch (s.component[i])
              {
              case 0:
                rhs(i) -= ((xi_t + phase_source) * v + p.interface_mobility * q_xi * grad_v) * dx;
                break;
              case 1:
                if (single_ion)
                  rhs(i) -= (u - 1) * v * dx;
                else
                  rhs(i) -= ((u_t + consumption * xi_t) * v + D * li_flux * grad_v) * dx;
                break;
              default:
                rhs(i) -= (xi_t * v + Dpsi * grad_psi * grad_v) * dx;
              }
            if (!with_jacobian)
              continue;
            for (unsigned int j = 0; j < s.component.size(); ++j)
              {
                const double phi      = s.shape[j];
                const auto  &grad_phi = s.shape_grad[j];
                double       entry    = 0;
                switch (s.component[i] * 3 + s.component[j])
                  {
                  case 0: // phase field row, d / d xi
                    entry = (a0_dt + p.interface_mobility * d2g + L_eta * phase_interpolation_dd(xi) * bv -
                             zeta * 32 * xi * (1 - xi) * (1 - 2 * xi)) *
                              phi * v +
                            p.interface_mobility * (dq_xi * grad_phi) * grad_v;
                    break;
                  case 1: // d / du
                    entry = L_eta * dh * dbv_du * phi * v;
                    break;
                  case 2: // d / dpsi
                    entry = L_eta * dh * dbv_dpsi * phi * v;
                    break;
                  case 3: // Li+ row, d / d xi
                    entry = single_ion ? 0.0 : consumption * a0_dt * phi * v + dD * phi * (li_flux * grad_v);
                    break;
                  case 4: // d / du
                    entry = single_ion ? phi * v : a0_dt * phi * v + D * (grad_phi + n * phi * grad_psi) * grad_v;
                    break;
                  case 5: // d / dpsi
                    entry = single_ion ? 0.0 : D * n * u * (grad_phi * grad_v);
                    break;
                  case 6: // charge row, d / d xi
                    entry = a0_dt * phi * v + dDpsi * phi * (grad_psi * grad_v);
                    break;
                  case 8: // d / dpsi
                    entry = Dpsi * (grad_phi * grad_v);
                    break;
                  default:
                    break;
                  }
                matrix(i, j) += entry * dx;
              }
          }
      }
  }

  template <int dim>
  void Electrodeposition<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    stress = registry.find(quantity_names::stress, name());
  }

  template <int dim>
  void Electrodeposition<dim>::provide_quantities(QuantityRegistry<dim> &registry) const
  {
    // Hosts hold xi = 1 but are not Li.
    const auto without_hosts = [this](const typename Triangulation<dim>::active_cell_iterator &cell,
                                      Vector<double>                                          &xi) {
      if (is_host_cell(cell))
        xi[0] = 0;
    };
    registry.provide(make_fe_quantity<dim>(quantity_names::li_phase, "-", name(), dofs, locally_relevant_solution, 0, 1,
                                           without_hosts));
    Quantity<dim> plated;
    plated.name           = quantity_names::plated_li;
    plated.unit           = "-";
    plated.provider       = name();
    plated.make_evaluator = [this](const Quadrature<dim> &quadrature) {
      auto cell_values = std::make_shared<FEValues<dim>>(mapping, *fe, QGauss<dim>(fe->degree + 1),
                                                         update_values | update_quadrature_points | update_JxW_values);
      return CellEvaluator<dim>([this, cell_values, n_points = quadrature.size()](
                                  const typename Triangulation<dim>::active_cell_iterator &cell,
                                  std::vector<Vector<double>>                             &values) {
        const double plated = is_host_cell(cell) ? 0.0 : mean_plated_fraction(same_cell<dim>(cell, dofs), *cell_values);
        values.assign(n_points, Vector<double>(1));
        for (auto &v : values)
          v[0] = plated;
      });
    };
    registry.provide(plated);
  }

  template <int dim>
  double Electrodeposition<dim>::mean_plated_fraction(const typename DoFHandler<dim>::active_cell_iterator &cell,
                                                      FEValues<dim> &fe_values) const
  {
    // The mean of h(xi) - h(xi_ref) over the cell. A reference state in the
    // phase field's own space makes the initial state exactly stress-free (a
    // function differs from its interpolant within the cells). The growth
    // eigenstrain is constant per cell: the strain of Q1 displacements cannot
    // follow an eigenstrain that changes within a cell, and the stresses that
    // mismatch leaves at the quadrature points would feed back into the kinetics.
    const auto li_fraction = [](const double xi) { return phase_interpolation(std::clamp(xi, 0.0, 1.0)); };
    fe_values.reinit(cell);
    const FEValuesExtractors::Scalar xi(0);
    std::vector<double>              current(fe_values.n_quadrature_points), reference(current.size());
    fe_values[xi].get_function_values(locally_relevant_solution, current);
    const auto &stress_free_phase = parameters.stress_free_phase;
    if (!stress_free_phase)
      fe_values[xi].get_function_values(initial_state, reference);
    double sum = 0, volume = 0;
    for (unsigned int q = 0; q < current.size(); ++q)
      {
        const double ref = stress_free_phase ? li_fraction(stress_free_phase->value(fe_values.quadrature_point(q)))
                                             : li_fraction(reference[q]);
        sum += (li_fraction(current[q]) - ref) * fe_values.JxW(q);
        volume += fe_values.JxW(q);
      }
    return sum / volume;
  }

  template <int dim>
  void Electrodeposition<dim>::boundary_terms(const FEFaceValues<dim> &face_values, const Function<dim> &current,
                                              Vector<double> &rhs) const
  {
    // A current density i entering the domain: sigma dphi/dn = i, in the
    // charge row (divided by n F c_s like the cell terms).
    const double scale = parameters.molar_volume / (parameters.charge_number * constants::faraday);
    for (unsigned int q = 0; q < face_values.n_quadrature_points; ++q)
      {
        const double i_n = current.value(face_values.quadrature_point(q));
        for (unsigned int i = 0; i < fe->n_dofs_per_cell(); ++i)
          if (fe->system_to_component_index(i).first == 2)
            rhs(i) += scale * i_n * face_values.shape_value(i, q) * face_values.JxW(q);
      }
  }

  template <int dim>
  void Electrodeposition<dim>::assemble_into(const LA::MPI::Vector &state, const bool with_currents,
                                             LA::MPI::SparseMatrix *matrix, LA::MPI::Vector &rhs,
                                             const bool apply_constraints) const
  {
    const profile::Section section("assembly: electrodeposition");
    if (matrix)
      *matrix = 0;
    rhs = 0;
    for (const auto &[id, f] : parameters.current_density)
      f->set_time(time);
    const QGauss<dim>                    quadrature(fe->degree + 1);
    FEValues<dim>                        fe_values(mapping, *fe, quadrature,
                                                   update_values | update_gradients | update_quadrature_points | update_JxW_values);
    FEFaceValues<dim>                    face_values(mapping, *fe, QGauss<dim - 1>(fe->degree + 1),
                                                     update_values | update_quadrature_points | update_JxW_values);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    Scratch                              scratch(*fe, quadrature.size());
    const CellEvaluator<dim>             stress_at = stress ? stress->make_evaluator(quadrature) : CellEvaluator<dim>();
    std::vector<Vector<double>>          stress_at_points;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell_matrix = 0;
          cell_rhs    = 0;
          fe_values.reinit(cell);
          scratch.read(fe_values, state, history.history_term());
          set_host_data(cell, scratch);
          if (stress_at)
            {
              stress_at(cell, stress_at_points);
              for (unsigned int q = 0; q < quadrature.size(); ++q)
                {
                  Tensor<1, 3> normal; // along grad xi
                  for (unsigned int d = 0; d < dim; ++d)
                    normal[d] = scratch.gradients[q][0][d];
                  scratch.mechanical[q] =
                    mechanical(symmetric_tensor_from_components(stress_at_points[q]), normal) / thermal_voltage();
                }
            }
          cell_terms(fe_values, scratch, matrix != nullptr, cell_matrix, cell_rhs);
          if (with_currents)
            for (const unsigned int f : cell->face_indices())
              if (cell->at_boundary(f) && parameters.current_density.count(cell->face(f)->boundary_id()))
                {
                  face_values.reinit(cell, f);
                  boundary_terms(face_values, *parameters.current_density.at(cell->face(f)->boundary_id()), cell_rhs);
                }
          cell->get_dof_indices(indices);
          if (!apply_constraints)
            rhs.add(indices, cell_rhs);
          else if (matrix)
            add_cell_contribution(zero_constraints, cell_matrix, cell_rhs, indices, *matrix, rhs);
          else
            zero_constraints.distribute_local_to_global(cell_rhs, indices, rhs);
        }
    if (matrix)
      matrix->compress(VectorOperation::add);
    rhs.compress(VectorOperation::add);
  }

  template <int dim>
  double Electrodeposition<dim>::assemble(const LA::MPI::Vector &state, const bool with_jacobian)
  {
    Timer timer;
    assemble_into(state, true, with_jacobian ? &system_matrix : nullptr, system_rhs, true);
    if (!weights_set)
      {
        // Row i weighted by 1 / J_ii: the residual measured as the local
        // correction it asks for. The metal's conductivity makes its charge
        // rows 10^6 times stiffer than the phase-field rows, so their round-off
        // would otherwise set a floor near 1e-8 of the plain residual norm.
        // Fixed for the whole step, so that the line search compares like with like.
        Assert(with_jacobian, ExcInternalError());
        residual_weights.reinit(locally_owned, communicator);
        for (const auto i : locally_owned)
          {
            const double diagonal = std::abs(system_matrix.diag_element(i));
            residual_weights(i)   = diagonal > 0 ? 1 / diagonal : 1;
          }
        residual_weights.compress(VectorOperation::insert);
        weights_set = true;
      }
    LA::MPI::Vector weighted(system_rhs);
    weighted.scale(residual_weights);
    last_assembly_time += timer.wall_time();
    return weighted.l2_norm();
  }

  template <int dim>
  void Electrodeposition<dim>::prepare_iterative_solver(const bool new_preconditioner)
  {
    // The metal's conductivity makes its charge rows 10^6 times stiffer than
    // the phase-field rows: scale the system symmetrically to a unit
    // diagonal, so that GMRES's stopping test weighs all three fields alike
    // (row scaling by 1 / J_ii, Newton's own weights, needed 10 times more
    // GMRES iterations in 3D). The preconditioner of the step's first
    // Jacobian serves its later Newton iterations.
    LA::MPI::Vector unused(system_rhs);
    jacobian_scaling = scale_symmetrically(system_matrix, unused);
    // Block order xi, phi, c: the fewest GMRES iterations of the six orders
    // on the 2D dendrite demo.
    if (new_preconditioner)
      preconditioner.initialize(system_matrix, {component_dofs[0], component_dofs[2], component_dofs[1]},
                                parameters.linear_solver);
  }

  template <int dim>
  unsigned int Electrodeposition<dim>::solve_iteratively(const LA::MPI::Vector &unscaled_rhs, LA::MPI::Vector &update,
                                                         const double forcing)
  {
    LA::MPI::Vector rhs(unscaled_rhs);
    rhs.scale(jacobian_scaling);
    LinearSolverSettings settings = parameters.linear_solver;
    settings.relative_tolerance   = std::max(forcing, parameters.linear_solver.relative_tolerance);
    LA::MPI::Vector solution(locally_owned, communicator);
    unsigned int    iterations = settings.max_iterations;
    bool            converged  = true;
    try
      {
        iterations =
          solve_gmres(system_matrix, solution, rhs, preconditioner, settings, "Electrodeposition (Newton update)")
            .iterations;
      }
    catch (const std::runtime_error &)
      {
        converged = false;
      }
    // GMRES's own residual estimate can be far off the true residual on
    // these badly scaled systems (loss of orthogonality near Newton
    // convergence): check the true residual, one matrix-vector product.
    if (converged)
      {
        LA::MPI::Vector residual(rhs);
        system_matrix.vmult(residual, solution);
        residual.sadd(-1.0, 1.0, rhs);
        converged = residual.l2_norm() <= 10 * settings.relative_tolerance * rhs.l2_norm();
      }
    if (!converged) // one direct solve costs less than a failed Newton iteration or step
      {
        solve_direct(system_matrix, solution, rhs);
        ++direct_fallbacks;
      }
    update = solution;
    update.scale(jacobian_scaling);
    zero_constraints.distribute(update);
    return iterations;
  }

  template <int dim>
  void Electrodeposition<dim>::begin_step(const double dt, const unsigned int order)
  {
    step_start                 = time;
    step_size                  = dt;
    bdf                        = history.begin_step(dt, order);
    time                       = step_start + dt;
    last_assembly_time         = 0;
    weights_set                = false; // the step's first Jacobian sets them
    block_preconditioner_ready = false;
    this->make_constraints(); // boundary data at the new time
    LA::MPI::Vector state(locally_owned, communicator);
    state = history.state(0);
    constraints.distribute(state);
    locally_relevant_solution = state;
  }

  template <int dim>
  void Electrodeposition<dim>::end_step(const SolverReport &report)
  {
    last_error = history.local_error_estimate(locally_relevant_solution, component_dofs[0], bdf.order, communicator);
    history.accept(locally_relevant_solution);
    last_step_size    = step_size;
    this->last_report = report;
  }

  template <int dim>
  void Electrodeposition<dim>::cancel_step()
  {
    time                      = step_start;
    locally_relevant_solution = history.state(0);
  }

  template <int dim>
  SolverReport Electrodeposition<dim>::advance(const double dt, const unsigned int order)
  {
    begin_step(dt, order);
    LA::MPI::Vector state(locally_owned, communicator);
    state = locally_relevant_solution;
    LA::MPI::Vector ghosted(locally_owned, locally_relevant, communicator);

    NewtonProblem problem;
    problem.assemble = [&](const LA::MPI::Vector &s, const bool with_jacobian) { return assemble(s, with_jacobian); };
    problem.solve    = [&](LA::MPI::Vector &update, const double forcing, const bool first_in_step) {
      if (parameters.iterative_solver)
        {
          prepare_iterative_solver(first_in_step);
          return solve_iteratively(system_rhs, update, forcing);
        }
      solve_direct(system_matrix, update, system_rhs);
      zero_constraints.distribute(update);
      return 1u;
    };
    std::ostringstream what;
    what << "Electrodeposition (step to t = " << time << " s, dt = " << dt << " s)";
    SolverReport report;
    try
      {
        report = newton_solve(problem, state, ghosted, parameters.newton, what.str());
      }
    catch (...)
      {
        cancel_step();
        throw;
      }
    locally_relevant_solution = ghosted;
    end_step(report);
    return report;
  }

  template <int dim>
  void Electrodeposition<dim>::newton_block_residual(LA::MPI::Vector &residual, const bool with_jacobian)
  {
    // The step's first Jacobian sets the row weights.
    const bool jacobian = with_jacobian || !weights_set;
    assemble(locally_relevant_solution, jacobian); // system_rhs = -R
    residual = system_rhs;
    residual.scale(residual_weights);
    residual *= -1.0;
    if (jacobian && parameters.iterative_solver)
      {
        prepare_iterative_solver(!block_preconditioner_ready);
        block_preconditioner_ready = true;
      }
  }

  template <int dim>
  void Electrodeposition<dim>::newton_block_solve(const LA::MPI::Vector &r, LA::MPI::Vector &z)
  {
    // Rows back from the scaled residual: J z = r / w.
    LA::MPI::Vector rhs(r);
    for (const auto i : locally_owned)
      rhs(i) = r(i) / residual_weights(i);
    rhs.compress(VectorOperation::insert);
    z.reinit(locally_owned, communicator);
    if (parameters.iterative_solver)
      {
        solve_iteratively(rhs, z, parameters.linear_solver.relative_tolerance); // tight: nearly a fixed operator
      }
    else
      solve_direct(system_matrix, z, rhs);
  }

  template <int dim>
  void Electrodeposition<dim>::reject_step()
  {
    history.reject();
    time -= history.step_size();
    locally_relevant_solution = history.state(0);
    last_error                = {-1.0, 0};
  }

  template <int dim>
  void Electrodeposition<dim>::add_output(DataOut<dim> &data_out) const
  {
    data_out.add_data_vector(dofs, locally_relevant_solution, *output_units);
  }

  template <int dim>
  double Electrodeposition<dim>::li_volume() const
  {
    return li_volumes([](const Point<dim> &) { return 0u; }, 1)[0];
  }

  template <int dim>
  std::vector<double>
  Electrodeposition<dim>::li_volumes(const std::function<unsigned int(const Point<dim> &)> &classify,
                                     const unsigned int                                     n_classes) const
  {
    const QGauss<dim> quadrature(fe->degree + 1);
    FEValues<dim>     fe_values(mapping, *fe, quadrature, update_values | update_quadrature_points | update_JxW_values);
    std::vector<double> xi(quadrature.size()), volumes(n_classes, 0.0);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && !is_host_cell(cell)) // a host's xi = 1 is not Li
        {
          fe_values.reinit(cell);
          fe_values[FEValuesExtractors::Scalar(0)].get_function_values(locally_relevant_solution, xi);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            {
              const unsigned int k = classify(fe_values.quadrature_point(q));
              AssertIndexRange(k, n_classes);
              volumes[k] += xi[q] * fe_values.JxW(q);
            }
        }
    std::vector<double> total(n_classes);
    Utilities::MPI::sum(ArrayView<const double>(volumes), communicator, ArrayView<double>(total));
    return total;
  }

  template <int dim>
  double Electrodeposition<dim>::boundary_potential(const types::boundary_id id) const
  {
    const QGauss<dim - 1> quadrature(fe->degree + 1);
    FEFaceValues<dim>     face_values(mapping, *fe, quadrature, update_values | update_JxW_values);
    std::vector<double>   psi(quadrature.size());
    double                integral = 0, area = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
            {
              face_values.reinit(cell, f);
              face_values[FEValuesExtractors::Scalar(2)].get_function_values(locally_relevant_solution, psi);
              for (unsigned int q = 0; q < quadrature.size(); ++q)
                {
                  integral += psi[q] * face_values.JxW(q);
                  area += face_values.JxW(q);
                }
            }
    area = Utilities::MPI::sum(area, communicator);
    return area > 0 ? thermal_voltage() * Utilities::MPI::sum(integral, communicator) / area : 0.0;
  }

  template <int dim>
  double Electrodeposition<dim>::boundary_current(const types::boundary_id id) const
  {
    return boundary_currents({id}).at(id);
  }

  template <int dim>
  std::map<types::boundary_id, double>
  Electrodeposition<dim>::boundary_currents(const std::set<types::boundary_id> &ids) const
  {
    // The charge row's residual without boundary terms (one assembly for all
    // boundaries), tested with the sum of the potential shape functions on a
    // boundary (1 there): the integral of sigma dphi/dn over it, i.e. the
    // current entering through it.
    LA::MPI::Vector residual(locally_owned, communicator);
    assemble_into(locally_relevant_solution, false, nullptr, residual, false);
    const double n_F_cs = parameters.charge_number * constants::faraday / parameters.molar_volume;
    std::map<types::boundary_id, double> currents;
    for (const auto id : ids)
      {
        const IndexSet on_boundary =
          DoFTools::extract_boundary_dofs(dofs, fe->component_mask(FEValuesExtractors::Scalar(2)), {id});
        double sum = 0;
        for (const auto i : on_boundary)
          if (locally_owned.is_element(i))
            sum -= residual(i); // assemble_into() stores -R
        currents[id] = n_F_cs * Utilities::MPI::sum(sum, communicator);
      }
    return currents;
  }

  template <int dim>
  double Electrodeposition<dim>::tip_position(const unsigned int axis) const
  {
    return front_range(axis).second;
  }

  template <int dim>
  std::pair<double, double> Electrodeposition<dim>::front_range(const unsigned int axis) const
  {
    // Along every cell edge whose end values of xi straddle 1/2, the crossing
    // point by linear interpolation.
    double low = std::numeric_limits<double>::max(), high = -low;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int l = 0; l < GeometryInfo<dim>::lines_per_cell; ++l)
          {
            const unsigned int v0 = GeometryInfo<dim>::line_to_cell_vertices(l, 0);
            const unsigned int v1 = GeometryInfo<dim>::line_to_cell_vertices(l, 1);
            const double       x0 = locally_relevant_solution(cell->vertex_dof_index(v0, 0));
            const double       x1 = locally_relevant_solution(cell->vertex_dof_index(v1, 0));
            if ((x0 - 0.5) * (x1 - 0.5) > 0 || x0 == x1)
              continue;
            const double t     = (0.5 - x0) / (x1 - x0);
            const double where = (1 - t) * cell->vertex(v0)[axis] + t * cell->vertex(v1)[axis];
            low                = std::min(low, where);
            high               = std::max(high, where);
          }
    return {Utilities::MPI::min(low, communicator), Utilities::MPI::max(high, communicator)};
  }

  template <int dim>
  void Electrodeposition<dim>::add_statistics(StatisticsTable &table, const BoundaryLabels &labels)
  {
    table.add_value("deposition_dofs", "", this->n_dofs());
    if (parameters.iterative_solver)
      table.add_value("direct_fallbacks", "", n_direct_fallbacks());
    table.add_value("li_volume", dim == 2 ? "m^2" : "m^3", li_volume());
    const auto front = front_range(dim - 1);
    table.add_value("tip_position", "m", front.second);
    table.add_value("front_low", "m", front.first);
    std::set<types::boundary_id> boundaries(parameters.reservoir.begin(), parameters.reservoir.end());
    for (const auto *map : {&parameters.electrode_potential, &parameters.current_density})
      for (const auto &[id, f] : *map)
        boundaries.insert(id);
    for (const auto &[id, current] : boundary_currents(boundaries))
      table.add_value("current_" + boundary_label(labels, id), dim == 2 ? "A/m" : "A", current);
    if (parameters.working_electrode != numbers::invalid_boundary_id)
      {
        // The floating collector (metal) against the reservoir: the cell's overpotential.
        const double metal = boundary_potential(parameters.working_electrode);
        table.add_value("electrode_potential", "V", metal);
        table.add_value("cell_voltage", "V", metal - boundary_potential(parameters.reservoir[0]));
      }
    if (host_statistics)
      host_statistics->add_columns(table, last_step_size);
  }

  template <int dim>
  FieldMaker<dim> Electrodeposition<dim>::parse(ParameterHandler &prm, const FieldContext<dim> &context)
  {
    auto parameters = std::make_shared<Parameters>();
    parameters->parse_parameters(prm, context.boundary_names, context.materials);
    if (parameters->initial_phase_from_geometry)
      {
        const Geometry<dim> &shape = context.geometry;
        parameters->initial_phase  = std::make_shared<ScalarFunctionFromFunctionObject<dim>>(
          [&shape](const Point<dim> &p) { return shape.initial_li_indicator(p); });
      }
    // The working electrode is the collector under the metal; it becomes
    // insulating and its potential floats (Chen et al.'s galvanostatic
    // model), and the program's current enters through the reservoir, where
    // plating consumes it (Faraday's law).
    const auto                           id = context.working_electrode;
    std::shared_ptr<ProgramCurrent<dim>> current;
    if (id != numbers::invalid_boundary_id)
      {
        require_input(parameters->reservoir.size() == 1 && parameters->reservoir[0] != id,
                      "Current program/Working electrode: deposition runs need exactly one "
                      "Electrodeposition/Boundary conditions/Reservoir, other than the working electrode, for "
                      "the program's current to enter through");
        parameters->electrode_potential.erase(id);
        parameters->current_density.clear();
        current = std::make_shared<ProgramCurrent<dim>>(context.current_program, -1.0);
        parameters->current_density[parameters->reservoir[0]] = current;
        parameters->working_electrode                         = id;
      }
    return [parameters, current, &context]() {
      // The program's current density is the working electrode's: scale it
      // by the area ratio of working electrode and reservoir.
      if (current)
        current->scale = -boundary_measure(context.triangulation, parameters->working_electrode) /
                         boundary_measure(context.triangulation, parameters->reservoir[0]);
      auto field = std::make_unique<Electrodeposition<dim>>(context.triangulation, *parameters);
      field->add_host_statistics(context.geometry);
      return field;
    };
  }

  template <int dim>
  Electrodeposition<dim>::~Electrodeposition() = default;

  template <int dim>
  void Electrodeposition<dim>::add_host_statistics(const Geometry<dim> &geometry)
  {
    host_statistics = std::make_unique<HostStatistics<dim>>(geometry, *this);
    if (!host_statistics->active())
      host_statistics.reset();
  }

  template <int dim>
  void Electrodeposition<dim>::on_mesh_ready()
  {
    if (host_statistics)
      host_statistics->update_mesh();
  }

  template <int dim>
  std::string Electrodeposition<dim>::summary(const BoundaryLabels &) const
  {
    std::ostringstream text;
    text << "Deposition: t = " << this->current_time() << " s, Li volume " << li_volume()
         << (dim == 2 ? " m^2" : " m^3") << ", tip at " << tip_position(dim - 1) * 1e6 << " um";
    return text.str();
  }

  template <int dim>
  bool Electrodeposition<dim>::cells_to_keep_refined(Vector<float> &cells) const
  {
    interface_cells(cells, 2);
    return true;
  }

  template <int dim>
  std::vector<std::pair<std::string, std::string>> Electrodeposition<dim>::probe_quantities() const
  {
    return {{"li_phase", ""}, {"concentration", "mol/m^3"}, {"potential", "V"}};
  }

  template <int dim>
  std::vector<std::vector<double>> Electrodeposition<dim>::probe(const Probes<dim> &probes) const
  {
    auto values = probes.evaluate(mapping, dofs, locally_relevant_solution);
    for (auto &v : values)
      v = {v[0], parameters.bulk_concentration * v[1], thermal_voltage() * v[2]};
    return values;
  }

  template <int dim>
  void Electrodeposition<dim>::interface_cells(Vector<float> &marked, const unsigned int layers) const
  {
    marked.reinit(triangulation.n_active_cells());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          double low = 1, high = 0;
          for (const unsigned int v : cell->vertex_indices())
            {
              const double xi = locally_relevant_solution(cell->vertex_dof_index(v, 0));
              low             = std::min(low, xi);
              high            = std::max(high, xi);
            }
          if (low < 0.98 && high > 0.02)
            marked(cell->active_cell_index()) = 1;
        }
    spread_to_neighbours<dim>(triangulation, marked, layers);
  }

  template <int dim>
  void Electrodeposition<dim>::save_state(std::ostream &out) const
  {
    Field<dim>::save_state(out);
    history.save(out);
    out << direct_fallbacks << '\n';
    if (host_statistics)
      host_statistics->save_state(out);
  }

  template <int dim>
  void Electrodeposition<dim>::load_state(std::istream &in)
  {
    Field<dim>::load_state(in);
    history.load(in);
    in >> direct_fallbacks;
    if (host_statistics)
      host_statistics->load_state(in);
  }

  template <int dim>
  std::vector<const LA::MPI::Vector *> Electrodeposition<dim>::state_vectors() const
  {
    auto vectors = history.states_to_transfer();
    vectors.push_back(&initial_state);
    return vectors;
  }

  template <int dim>
  void Electrodeposition<dim>::restore_state(std::vector<LA::MPI::Vector> &states, typename Field<dim>::StateSource)
  {
    history.restore_transferred(states, locally_owned, locally_relevant, communicator);
    locally_relevant_solution = history.state(0);
    initial_state.reinit(locally_owned, locally_relevant, communicator);
    initial_state = states[3];
  }

  template class GradientEnergy<2>;
  template class GradientEnergy<3>;
  DENDRA_REGISTER_FIELD(Electrodeposition, "deposition", 10,
                        "phase-field Li deposition with its own Li+ transport and charge balance (Chen et al.); "
                        "transient (subsections Electrodeposition, Time stepping, Current program).")

  template class Electrodeposition<2>;
  template class Electrodeposition<3>;
} // namespace dendra

#pragma once

#include <dendra/base/bdf_history.h>
#include <dendra/base/newton.h>
#include <dendra/base/parameters.h>
#include <dendra/fields/field_registry.h>
#include <dendra/fields/transient_field.h>
#include <dendra/kinetics/electrode_kinetics.h>
#include <dendra/mesh/host_surface.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/base/tensor.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/data_postprocessor.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace dendra
{
  class MaterialLibrary;

  /// Gradient energy (kappa(n) / 2) |grad xi|^2 of the phase field with an
  /// anisotropic coefficient kappa(n) = kappa0 [1 + delta a(n)] of the
  /// interface normal n = grad xi / |grad xi|: a = cos(omega (theta - theta0))
  /// in 2D, the cubic 4 (n_x^4 + n_y^4 + n_z^4) - 3 in 3D (the same as
  /// cos(4 theta) in a plane of the cube axes).
  template <int dim>
  class GradientEnergy
  {
  public:
    /// kappa0 (J/m), delta (-), omega (-), theta0 (rad).
    GradientEnergy(double kappa0, double delta, double omega, double theta0);
    /// The flux q = d energy / d grad xi (J/m^2 per unit xi).
    dealii::Tensor<1, dim> flux(const dealii::Tensor<1, dim> &gradient) const;
    /// d q / d grad xi (J/m).
    dealii::Tensor<2, dim> flux_derivative(const dealii::Tensor<1, dim> &gradient) const;

  private:
    double kappa0, delta, omega, theta0;
  };

  /// Phase-field electrodeposition (PHYSICS.md Section 3; Chen et al., J.
  /// Power Sources 300, 376, 2015), solved monolithically with its ion
  /// transport. Unknowns: the Li-metal phase field xi (1 = metal), the scaled
  /// Li+ concentration u = c / c0 and the scaled potential psi = F phi / (R T)
  /// of one potential field phi spanning metal and electrolyte:
  ///   dxi/dt = -L_sigma [g'(xi) - div q(grad xi)] - L_eta h'(xi) [exp((1 - alpha) n f eta) - u exp(-alpha n f eta)],
  ///   dc/dt  = div[D(xi) (grad c + n f c grad phi)] - c_s dxi/dt,
  ///   div(sigma(xi) grad phi) = n F c_s dxi/dt,
  /// with f = F / (R T), eta = phi - U0, g = W xi^2 (1 - xi)^2,
  /// h = xi^3 (6 xi^2 - 15 xi + 10), D and sigma interpolated by h between
  /// metal and electrolyte, c_s = 1 / Omega_Li the molar density of Li metal.
  /// As in Chen et al. the metal carries the electrode potential and eta is
  /// the local value of phi in the diffuse interface. Implicit BDF1/BDF2,
  /// Newton with a line search; sparse direct or preconditioned GMRES linear solves.
  template <int dim>
  class HostStatistics;

  template <int dim>
  class Electrodeposition : public TransientField<dim>
  {
  public:
    /// The mechanical term of the overpotential (PHYSICS.md Section 2), from
    /// the shared kinetics: hydrostatic or Monroe-Newman type.
    using StressCoupling = MechanicalOverpotential::Form;

    /// How Li+ moves in the electrolyte phase.
    enum class LiTransport
    {
      /// Chen et al.'s Li+ balance, diffusion and migration with D(xi)
      /// (liquid and polymer electrolytes).
      nernst_planck,
      /// A single-ion conductor (garnet LLZO): the Li+ sublattice has a fixed
      /// concentration, u = 1, so eta = 0 is equilibrium and the interface's
      /// exchange current density is i0 = 1.5 n F c_s L_eta delta; the charge
      /// balance alone carries Li+.
      single_ion
    };

    /// An electronically conducting host material (Cu, rGO): its cells hold
    /// xi = 1, so Li plates on its surface with the phase-field kinetics, and
    /// conduct electrons; within one interface thickness of its surface the
    /// kinetics take its exchange current and nucleation overpotential.
    struct HostMaterial
    {
      double          conductivity = 0; ///< electronic conductivity sigma_e (S/m), > 0
      SurfaceKinetics surface;          ///< L_eta factor and nucleation overpotential on its surface
    };

    /// Model data and boundary conditions (subsection "Electrodeposition").
    struct Parameters
    {
      unsigned int degree                = 1;       ///< polynomial degree of xi, c, phi (-)
      double       interface_energy      = 0.556;   ///< gamma (J/m^2)
      double       interface_thickness   = 1.5e-6;  ///< delta: W = 12 gamma / delta, kappa0 = 3 gamma delta / 2 (m)
      double       anisotropy_strength   = 0.044;   ///< delta_a (-), in [0, 1)
      double       anisotropy_mode       = 4;       ///< omega (-); 3D: cubic, must be 4
      double       anisotropy_angle      = 0;       ///< theta0 (rad), 2D only
      double       interface_mobility    = 2.5e-6;  ///< L_sigma (m^3/(J s))
      double       reaction_constant     = 1.81e-3; ///< L_eta (1/s)
      double       transfer_coefficient  = 0.5;     ///< alpha (-), in (0, 1)
      double       charge_number         = 1;       ///< n (-)
      double       equilibrium_potential = 0;       ///< U0 (V)
      /// Omega_Li (m^3/mol); c_s = 1 / Omega_Li (parsed from Materials/Li metal/Molar volume)
      double molar_volume = 1.30e-5;
      /// c0, initial and reservoir Li+ concentration (mol/m^3) (parsed from Conditions/Bulk concentration)
      double bulk_concentration      = 1000;
      double metal_diffusivity       = 7.5e-13;   ///< D_s (m^2/s)
      double electrolyte_diffusivity = 3.197e-10; ///< D_l (m^2/s)
      /// sigma_s (S/m) (parsed from Materials/Li metal/Electronic conductivity)
      double metal_conductivity = 1.1e7;
      /// sigma_l (S/m) (parsed from the Ionic conductivity of the Electrolyte material)
      double electrolyte_conductivity = 1.19;
      /// T (K) (parsed from Conditions/Temperature)
      double temperature = 298.15;
      /// Amplitude A of the interface noise A zeta(x) 16 xi^2 (1 - xi)^2
      /// added to dxi/dt (1/s), zeta(x) in [-1, 1] frozen in time; 0: none.
      /// It seeds side branches and tip splits.
      double       noise_amplitude = 0;
      double       noise_length    = 5e-7; ///< edge of the lattice cells on which zeta is constant (m)
      unsigned int noise_seed      = 1;    ///< seed of zeta (-): equal seeds give equal runs
      /// Initial phase field xi_0(x) (-); null: no metal.
      std::shared_ptr<dealii::Function<dim>> initial_phase;
      /// True if Initial phase reads "geometry": the run takes xi_0 from the
      /// geometry's initial Li (Simulator sets initial_phase to its indicator),
      /// smoothed into the equilibrium profile across the surface of the
      /// cells of material geometry_li_material.
      bool initial_phase_from_geometry = false;
      /// Material id of the geometry's Li metal cells (-).
      dealii::types::material_id geometry_li_material = dealii::numbers::invalid_material_id;
      /// Li+ transport in the electrolyte phase.
      LiTransport li_transport = LiTransport::nernst_planck;
      /// Current collectors under the metal: phi = V(t) (V) and xi = 1.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> electrode_potential;
      /// Electrolyte reservoirs: c = c0, xi = 0 and (unless the boundary has a
      /// current density) phi = 0.
      std::vector<dealii::types::boundary_id> reservoir;
      /// The metal's collector whose current density follows Current program
      /// (it floats; the current enters through the reservoir); invalid: none.
      dealii::types::boundary_id working_electrode = dealii::numbers::invalid_boundary_id;
      /// Galvanostatic boundaries: current density i(t) entering the domain (A/m^2).
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> current_density;
      /// Conducting hosts by cell material id (from Host materials).
      std::map<dealii::types::material_id, HostMaterial> hosts;
      /// How the "stress" quantity, if read, enters the overpotential.
      StressCoupling stress_coupling = StressCoupling::hydrostatic;
      /// Phase field xi_ref(x) of stress-free Li (-); null: the initial state.
      std::shared_ptr<dealii::Function<dim>> stress_free_phase;
      /// Partial molar volume of Li+ in the electrolyte, V_Li+ (m^3/mol), of
      /// the Monroe-Newman form.
      double         electrolyte_li_volume = 0;
      NewtonSettings newton; ///< Newton iteration
      /// Newton updates by a sparse direct solve (false) or by GMRES with a
      /// block Gauss-Seidel AMG preconditioner over xi, phi and c (true).
      bool iterative_solver = false;
      /// GMRES and AMG settings of the iterative solver.
      LinearSolverSettings linear_solver;

      /// Declares subsection "Electrodeposition".
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Defaults of the iterative solver's GMRES and AMG settings.
      static LinearSolverSettings default_linear_solver();
      /// Reads subsection "Electrodeposition"; boundaries may be named by
      /// @p names; material data, temperature and c0 come from @p materials.
      void parse_parameters(dealii::ParameterHandler &prm, const BoundaryNames &names,
                            const MaterialLibrary &materials);
      /// Entries that moved out of the subsection, with their new homes.
      static std::vector<std::pair<std::string, std::string>> moved_entries();
      /// Double-well height W = 12 gamma / delta (J/m^3).
      double barrier_height() const { return 12 * interface_energy / interface_thickness; }
      /// Gradient-energy coefficient kappa0 = 3 gamma delta / 2 (J/m).
      double gradient_coefficient() const { return 1.5 * interface_energy * interface_thickness; }
    };

    /// Declares subsection "Electrodeposition".
    static void declare_parameters(dealii::ParameterHandler &prm) { Parameters::declare_parameters(prm); }
    /// Reads it for a run in @p context: the initial phase may come from the
    /// geometry, and the current program's working electrode becomes an
    /// insulating floating collector while the program's current enters
    /// through the one reservoir. Returns the maker of the field.
    static FieldMaker<dim> parse(dealii::ParameterHandler &prm, const FieldContext<dim> &context);

    /// A field on @p triangulation; checks the parameters (InputError).
    Electrodeposition(const dealii::parallel::distributed::Triangulation<dim> &triangulation,
                      const Parameters                                        &parameters);
    ~Electrodeposition() override;

    /// Adds the statistics of plating in the host of @p geometry (if it has
    /// one) to the field's columns; @p geometry must outlive the field.
    void add_host_statistics(const Geometry<dim> &geometry);
    /// Updates the host statistics to the new mesh.
    void on_mesh_ready() override;

    /// Sets up DoFs and the initial state: xi_0, c = c0 (1 - h(xi_0)), phi = 0
    /// (electrode potential in the metal). Collective.
    void setup_dofs() override;
    /// One implicit step to time + @p dt (s) with BDF of @p order; returns the
    /// Newton iterations. Throws std::runtime_error if Newton fails; the state
    /// is then unchanged.
    SolverReport advance(double dt, unsigned int order) override;
    /// BDF step of @p dt (s), @p order, begun for a shared Newton solve (Coupling/Scheme = monolithic).
    void begin_step(double dt, unsigned int order) override;
    /// Accepts the current solution as the step begun (error estimate, history).
    void end_step(const SolverReport &report) override;
    /// Back to the start of the step begun.
    void cancel_step() override;
    /// Deposition can share a Newton system with elasticity (Coupling/Scheme = monolithic).
    bool has_newton_block() const override { return true; }
    /// R of the step begun at the current solution, rows divided by |J_ii| of the step's first Jacobian.
    void newton_block_residual(LA::MPI::Vector &residual, bool with_jacobian) override;
    /// J z = r / w by the field's linear solver (direct, or GMRES to Linear solver/Tolerance).
    void newton_block_solve(const LA::MPI::Vector &r, LA::MPI::Vector &z) override;
    /// Undoes the last advance().
    void reject_step() override;
    /// The current state becomes a restart point (BDF1 next).
    void forget_history() override { history.forget(); }
    /// Milne-device estimate of the last step's local error in xi (-) and its order.
    std::pair<double, unsigned int> local_error_estimate() const override { return last_error; }
    /// Adds "li_phase" (xi), "concentration" (mol/m^3) and "potential" (V).
    void add_output(dealii::DataOut<dim> &data_out) const override;

    /// "deposition".
    std::string name() const override { return "deposition"; }
    /// Provides the "li phase" xi (0 in hosts) and the "plated li fraction",
    /// the cell mean of h(xi) - h(xi_ref) with xi_ref the Stress-free phase
    /// or else the initial state (0 in hosts).
    void provide_quantities(QuantityRegistry<dim> &registry) const override;
    /// Reads the "stress" (Pa) for the mechanical overpotential, if a field
    /// provides it; it is read at every assembly (so it may change between steps).
    void read_quantities(QuantityRegistry<dim> &registry) override;

    /// The initial phase field xi_0 (-): Initial phase, and on hosts the film
    /// that wets them (valid while this field lives).
    std::shared_ptr<dealii::Function<dim>> initial_phase() const;
    /// The state of setup_dofs() (xi, u, psi, with ghost values), carried
    /// through mesh changes like the solution: the stress-free reference of
    /// plated Li, which carries no eigenstrain at the start.
    const LA::MPI::Vector &initial_solution() const { return initial_state; }
    /// Volume of Li metal, the integral of xi outside host cells (m^3, or m^2 in 2D).
    double li_volume() const;
    /// li_volume() split into @p n_classes parts by @p classify, which maps a
    /// point (m) to its class in [0, n_classes) (m^3, or m^2 in 2D).
    std::vector<double> li_volumes(const std::function<unsigned int(const dealii::Point<dim> &)> &classify,
                                   unsigned int                                                   n_classes) const;
    /// The surface of the host cells on the current mesh (empty without hosts).
    const HostSurface<dim> &host_surface() const { return surface; }
    /// True if @p cell is a host cell.
    bool is_host_cell(const typename dealii::Triangulation<dim>::active_cell_iterator &cell) const
    {
      return parameters.hosts.count(cell->material_id()) > 0;
    }
    /// Mean potential phi over boundary @p id (V).
    double boundary_potential(dealii::types::boundary_id id) const;
    /// Current entering the domain through boundary @p id (A, or A/m in 2D),
    /// from the weak form (consistent with the discrete charge balance).
    double boundary_current(dealii::types::boundary_id id) const;
    /// boundary_current() of each boundary in @p ids, from one assembly.
    std::map<dealii::types::boundary_id, double>
    boundary_currents(const std::set<dealii::types::boundary_id> &ids) const;
    /// Marks (1) the active cells in the diffuse interface, where xi at the
    /// vertices spans more than [0.02, 0.98] partly, and @p layers rings of
    /// cells around them; 0 elsewhere. Indexed by active cell index.
    void interface_cells(dealii::Vector<float> &marked, unsigned int layers) const;
    /// The interface and two rings of cells around it (the front moves
    /// between adaptations): interface_cells(cells, 2).
    bool cells_to_keep_refined(dealii::Vector<float> &cells) const override;
    /// deposition_dofs, direct_fallbacks (iterative solver), li_volume (m^2
    /// or m^3), tip_position and front_low (m), and the current through every
    /// boundary with a condition, current_<b> (A/m in 2D, A in 3D).
    void add_statistics(StatisticsTable &table, const BoundaryLabels &labels) override;
    /// The time, the Li volume and the tip position.
    std::string summary(const BoundaryLabels &labels) const override;
    /// "li_phase" (-), "concentration" (mol/m^3), "potential" (V).
    std::vector<std::pair<std::string, std::string>> probe_quantities() const override;
    /// xi, c and phi in SI units at the points of @p probes.
    std::vector<std::vector<double>> probe(const Probes<dim> &probes) const override;
    /// Largest coordinate @p axis of the xi = 1/2 contour (m): the tip of the
    /// deposit growing in +axis, from edge-wise linear interpolation.
    double tip_position(unsigned int axis) const;
    /// Smallest and largest coordinate @p axis of the xi = 1/2 contour (m):
    /// for a perturbed planar front its valleys and crests.
    std::pair<double, double> front_range(unsigned int axis) const;
    /// The model parameters.
    const Parameters &get_parameters() const { return parameters; }
    /// Iterative solver: Newton updates so far that fell back to a direct
    /// solve because GMRES did not reach its tolerance (-).
    unsigned int n_direct_fallbacks() const { return direct_fallbacks; }

    /// R T / F (V): the unit of the scaled potential.
    double thermal_voltage() const;

  private:
    struct Scratch;
    void add_boundary_constraints(dealii::AffineConstraints<double> &constraints) override;
    /// DoFs, constraints and the linear system, without touching the state;
    /// the host surface and its kinetics weights.
    void setup_system();
    /// The state, its history and the initial state (the stress-free reference) move with the mesh.
    std::vector<const LA::MPI::Vector *> state_vectors() const override;
    /// The time, the BDF step sizes, the count of direct fallbacks and the host statistics' state.
    void save_state(std::ostream &out) const override;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in) override;
    /// The system on a new mesh, keeping the state.
    void setup_on_new_mesh() override { setup_system(); }
    /// Takes over the interpolated states.
    void restore_state(std::vector<LA::MPI::Vector> &states, typename Field<dim>::StateSource source) override;
    /// Material ids of the conducting hosts.
    std::set<dealii::types::material_id> host_ids() const;
    /// The weight 1 - d / delta (d the distance to the host surface) at the
    /// quadrature points of the cells within one interface thickness of it.
    void compute_surface_weights();
    /// xi_0 at @p x (-): Initial phase (the geometry's Li in its equilibrium
    /// profile) and the wetting film of the hosts.
    double initial_xi(const dealii::Point<dim> &x) const;
    /// The 1D equilibrium profile 1/2 [1 + tanh(2 s / delta)] of the phase
    /// field at signed distance @p s (m) from its xi = 1/2 level, s > 0 in the metal (-).
    double equilibrium_profile(double s) const;
    /// Holds xi = 1 in host cells.
    void add_host_constraints(dealii::AffineConstraints<double> &constraints) const;
    /// The host data of @p cell (conductivity, surface kinetics) in @p scratch.
    void set_host_data(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell, Scratch &scratch) const;
    /// Assembles -R (and the Jacobian) at the ghosted @p state into the
    /// system; returns the residual norm.
    double assemble(const LA::MPI::Vector &state, bool with_jacobian);
    /// Assembles -R at the ghosted @p state into @p rhs and, if @p matrix is
    /// given, the Jacobian; galvanostatic currents if @p with_currents; the
    /// homogeneous constraints if @p apply_constraints.
    void assemble_into(const LA::MPI::Vector &state, bool with_currents, LA::MPI::SparseMatrix *matrix,
                       LA::MPI::Vector &rhs, bool apply_constraints) const;
    /// The cell terms at the quadrature points of one cell.
    void cell_terms(const dealii::FEValues<dim> &fe_values, Scratch &scratch, bool with_jacobian,
                    dealii::FullMatrix<double> &matrix, dealii::Vector<double> &rhs) const;
    /// Scales the assembled Jacobian symmetrically to a unit diagonal and, if
    /// @p new_preconditioner, sets up the block preconditioner on it.
    void prepare_iterative_solver(bool new_preconditioner);
    /// Solves J @p update = @p rhs with the prepared Jacobian by preconditioned
    /// GMRES to the relative residual @p forcing (a direct solve if its true
    /// residual falls short); returns the GMRES iterations.
    unsigned int solve_iteratively(const LA::MPI::Vector &rhs, LA::MPI::Vector &update, double forcing);
    /// The current density @p current (A/m^2) entering through one boundary face.
    void boundary_terms(const dealii::FEFaceValues<dim> &face_values, const dealii::Function<dim> &current,
                        dealii::Vector<double> &rhs) const;

    using Field<dim>::communicator;
    using Field<dim>::triangulation;
    using Field<dim>::fe;
    using Field<dim>::mapping;
    using Field<dim>::dofs;
    using Field<dim>::locally_owned;
    using Field<dim>::locally_relevant;
    using Field<dim>::constraints;
    using Field<dim>::system_matrix;
    using Field<dim>::system_rhs;
    using Field<dim>::locally_relevant_solution;
    using Field<dim>::time;
    using Field<dim>::last_assembly_time;

    Parameters                                      parameters;
    GradientEnergy<dim>                             gradient_energy;
    dealii::AffineConstraints<double>               zero_constraints; ///< homogeneous, for Newton updates
    BdfHistory                                      history;
    BDFCoefficients                                 bdf;
    std::pair<double, unsigned int>                 last_error{-1.0, 0};
    std::vector<dealii::IndexSet>                   component_dofs;       ///< owned DoFs of xi, c and phi
    BlockPreconditioner                             preconditioner;       ///< of the iterative solver
    unsigned int                                    direct_fallbacks = 0; ///< see n_direct_fallbacks()
    LA::MPI::Vector                                 residual_weights;     ///< 1 / J_ii of the step's first Jacobian
    bool                                            weights_set = false;
    LA::MPI::Vector jacobian_scaling;                  ///< D of the symmetric scaling D J D of the iterative solver
    bool            block_preconditioner_ready = false; ///< set up in the step begun by begin_step()
    double          step_start                 = 0;     ///< time of the start of the step begun (s)
    double          step_size                  = 0;     ///< dt of the step begun (s)
    std::unique_ptr<dealii::DataPostprocessor<dim>> output_units;
    HostSurface<dim>                                surface;
    LA::MPI::Vector                                 initial_state; ///< see initial_solution()
    /// Surface of the geometry's initial Li (Initial phase = geometry; empty otherwise).
    HostSurface<dim> initial_li_surface;
    /// Per active cell: the surface weight at its quadrature points (empty: none).
    std::vector<std::vector<double>> surface_weight;
    /// Per active cell: the host material of the surface next to it.
    std::vector<dealii::types::material_id> surface_material;
    const Quantity<dim>                    *stress = nullptr; ///< "stress" (Pa); null: none
    std::unique_ptr<HostStatistics<dim>>    host_statistics;   ///< plating in a host; null: none
    double                                  last_step_size = 0; ///< dt of the last advance() (s)
    ButlerVolmer                            reaction;         ///< the rate bracket of the phase field (-)
    MechanicalOverpotential                 mechanical;       ///< eta_mech of the stress (V)
    /// The mean of h(xi) - h(xi_ref) (-) over @p cell, with @p fe_values of
    /// this field's element (values, points and JxW).
    double mean_plated_fraction(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
                                dealii::FEValues<dim>                                        &fe_values) const;
  };
} // namespace dendra

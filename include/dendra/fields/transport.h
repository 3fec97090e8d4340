#pragma once

#include <dendra/base/bdf_history.h>
#include <dendra/base/parameters.h>
#include <dendra/fields/field_registry.h>
#include <dendra/fields/transient_field.h>
#include <dendra/kinetics/electrode_kinetics.h>
#include <dendra/materials/material_library.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/data_postprocessor.h>

#include <map>
#include <memory>
#include <set>

namespace dendra
{
  /// Ion transport with the electroneutral closure (PHYSICS.md Section 1) in
  /// binary electrolytes (cation z+, anion z-, diffusivities D+, D-; liquid or
  /// polymer) and single-ion conductors (t+ = 1, uniform c; garnet LLZO), both
  /// possibly in one mesh, told apart by the cell material id.
  /// Unknowns: u = c / c0 (the salt concentration c, mol/m^3) and the scaled
  /// reference potential w = F Phi / (R T) = ln u + z+ F phi / (R T), i.e. the
  /// electrochemical potential of Li+ (the potential of a Li reference
  /// electrode, Newman). w is continuous across a binary | single-ion
  /// interface, where c and phi jump. The equations are the anion balance and
  /// charge conservation div i = 0 (z+ times the cation plus z- times the
  /// anion balance, free of du/dt):
  ///   (1/D-) du/dt - div((1 - z-/z+) grad u + (z-/z+) u grad w) = 0,
  ///   -div((z+ - z- D-/D+) u grad w - (D-/D+)(z+ - z-) grad u) = 0,
  /// and in single-ion regions -div(kappa grad w) = 0 with kappa from the
  /// material's ionic conductivity. Implicit BDF1/BDF2 in time; Newton with a
  /// backtracking line search; GMRES with a block Gauss-Seidel preconditioner
  /// (AMG on the u and w blocks). Electrodes: a prescribed current density,
  /// or Butler-Volmer kinetics at a prescribed (potentiostatic) or unknown
  /// (galvanostatic) electrode potential; the current enters the charge
  /// balance, anions do not cross.
  template <int dim>
  class Transport : public TransientField<dim>
  {
  public:
    /// How the potential is determined.
    enum class Closure
    {
      electroneutral, ///< z+ c+ + z- c- = 0; unknowns (u, w)
      poisson         ///< -div(eps grad phi) = F (z+ c+ + z- c-); unknowns rho+- = ln(c+- / c0+-), psi = F phi / (R T)
    };

    /// Electrolyte data and boundary conditions (subsection "Transport").
    struct Parameters
    {
      Closure      closure               = Closure::electroneutral; ///< closure of the potential
      double       relative_permittivity = 10;                      ///< eps_r (-), Poisson closure
      double       stern_layer_thickness = 0;      ///< Poisson closure: Stern layer at electrodes (m); 0 = none
      unsigned int degree                = 1;      ///< polynomial degree (-)
      double       cation_valence        = 1;      ///< z+ (-), > 0
      double       anion_valence         = -1;     ///< z- (-), < 0
      double       cation_diffusivity    = 1e-10;  ///< D+ (m^2/s)
      double       anion_diffusivity     = 3e-10;  ///< D- (m^2/s)
      double       bulk_concentration    = 1000;   ///< c0, the initial and reservoir concentration (mol/m^3)
      double       temperature           = 298.15; ///< T (K)
      /// Reservoir boundaries: c = c0 and phi = 0 there.
      std::vector<dealii::types::boundary_id> reservoir;
      /// Electrodes with a prescribed current density i_n(t) (A/m^2, anodic > 0, plating < 0).
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> current_density;
      /// Electrodes at a prescribed potential phi_s(t) (V) with Butler-Volmer kinetics.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> electrode_potential;
      std::shared_ptr<const ElectrodeKinetics> kinetics; ///< for potentiostatic electrodes
      /// The mechanical term of the overpotential at electrodes with kinetics
      /// when a field provides the stress (Transport/Stress coupling): its
      /// form, Omega_Li (Materials/Li metal/Molar volume) and n = z+.
      MechanicalOverpotential mechanical;
      /// V_Li+ (m^3/mol) of the electrolyte by cell material id (Materials/<m>/Li+
      /// partial molar volume), the Monroe-Newman form; missing ids: 0.
      std::map<dealii::types::material_id, double> li_ion_volume;
      /// Galvanostatic electrodes: total current I(t) into the electrolyte (A in 3D, A/m in 2D),
      /// with Butler-Volmer kinetics; the electrode potential is an extra unknown.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> total_current;
      /// The electrode whose current follows Current program (its potential
      /// against the other electrode is the cell_voltage column); invalid: none.
      dealii::types::boundary_id working_electrode = dealii::numbers::invalid_boundary_id;
      /// Prescribed (c in mol/m^3, phi in V) of time and space, by boundary id (verification, fixed
      /// reservoirs); with the Poisson closure also (c+, c-, phi).
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> dirichlet;
      /// Volumetric production of cations and anions (mol/(m^3 s)), 2 components; null = none.
      std::shared_ptr<dealii::Function<dim>> source;
      /// Single-ion conductors (t+ = 1): ionic conductivity sigma_ion (S/m) by
      /// cell material id; every other cell is binary electrolyte.
      std::map<dealii::types::material_id, double> single_ion_conductivity;
      /// GMRES tolerance and AMG settings of the Newton updates.
      LinearSolverSettings linear_solver         = default_linear_solver();
      unsigned int         newton_max_iterations = 30;    ///< Newton iteration limit (-)
      double               newton_tolerance      = 1e-10; ///< relative residual reduction (-)
      /// Largest relative tolerance of a Newton update's GMRES solve (-): inexact
      /// Newton with Eisenstat-Walker forcing terms; 0 = always linear_solver's.
      double maximum_forcing = 1e-2;

      /// Declares subsection "Transport" (and "Kinetics").
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Reads subsection "Transport"; boundaries may be named by @p names,
      /// single-ion conductors are looked up in @p materials.
      void parse_parameters(dealii::ParameterHandler &prm, const BoundaryNames &names = {},
                            const MaterialLibrary &materials = MaterialLibrary::defaults());
      /// GMRES to 1e-8 relative, at most 200 iterations; ML on the blocks.
      static LinearSolverSettings default_linear_solver();

      /// Ambipolar diffusivity D = D+ D- (z+ - z-) / (z+ D+ - z- D-) (m^2/s).
      double ambipolar_diffusivity() const;
      /// Cation transference number t+ = z+ D+ / (z+ D+ - z- D-) (-).
      double cation_transference() const;
    };

    /// Declares subsections "Transport" and "Kinetics".
    static void declare_parameters(dealii::ParameterHandler &prm) { Parameters::declare_parameters(prm); }
    /// Reads them for a run in @p context; the working electrode of the
    /// current program gets the program's total current (galvanostatic) or
    /// current density. Returns the maker of the field.
    static FieldMaker<dim> parse(dealii::ParameterHandler &prm, const FieldContext<dim> &context);

    /// A transport field on @p triangulation; c = c0 and phi = 0 initially.
    Transport(const dealii::parallel::distributed::Triangulation<dim> &triangulation, const Parameters &parameters);

    /// Sets up DoFs and the initial state (c = c0, phi = 0).
    void setup_dofs() override;
    /// Replaces the state (and its history) by @p c_and_phi (mol/m^3, V) at the current time.
    void set_state(const dealii::Function<dim> &c_and_phi);
    /// One implicit step from the current time to time + @p dt (BDF of @p order,
    /// 2 falls back to 1 on the first step); returns the Newton iteration count
    /// as SolverReport::iterations and the GMRES iterations of all its linear
    /// solves as SolverReport::linear_iterations. Throws std::runtime_error if Newton fails;
    /// the state is then unchanged, so the step can be retried.
    SolverReport advance(double dt, unsigned int order) override;
    /// Undoes the last advance() (e.g. when its error estimate is too large).
    void reject_step() override;
    /// Marks the current state as a restart point: the next steps do not look
    /// back past it (BDF2 and error estimates), e.g. after a jump of the current.
    void forget_history() override;
    /// Estimate of the local truncation error of the last step, the largest
    /// nodal error of c in units of c0 (-), and the order of the estimate
    /// (1 or 2); {-1, 0} when there is not enough history.
    std::pair<double, unsigned int> local_error_estimate() const override { return last_error; }
    /// Adds "concentration" (salt, mol/m^3), "electrolyte_potential" (phi, V)
    /// and "reference_potential" (Phi, V).
    void add_output(dealii::DataOut<dim> &data_out) const override;
    /// "transport".
    std::string name() const override { return "transport"; }
    /// transport_dofs; per electrode electrode_current_<b> (A/m in 2D, A in
    /// 3D), min_surface_concentration_<b> (mol/m^3) and, with a metal
    /// potential, electrode_potential_<b> (V); total_cations (mol/m or mol)
    /// and with the Poisson closure total_charge (C/m or C); with a working
    /// electrode and one other electrode with a potential, cell_voltage (V).
    void add_statistics(StatisticsTable &table, const BoundaryLabels &labels) override;
    /// Total cations and each electrode's current and surface concentration.
    std::string summary(const BoundaryLabels &labels) const override;
    /// The electrodes: boundaries with a current density, a potential or a total current.
    std::set<dealii::types::boundary_id> electrodes() const;
    /// Reads "stress" if a field provides it: its mechanical overpotential
    /// then enters the kinetics of the electrodes (Parameters::mechanical).
    void read_quantities(QuantityRegistry<dim> &registry) override;

    /// Smallest salt concentration on boundary @p id (mol/m^3), from the nodal
    /// values; c0 on single-ion conductors.
    double min_boundary_concentration(dealii::types::boundary_id id) const;
    /// Total salt (cation) amount in the binary regions, the integral of c
    /// (mol, or mol/m in 2D).
    double total_cations() const;
    /// Names and units of the quantities probe() returns: concentration(s)
    /// (mol/m^3) and potentials (V).
    std::vector<std::pair<std::string, std::string>> probe_quantities() const override;
    /// The probe_quantities() at the points of @p probes, in SI units:
    /// result[point][quantity]. Within one cell of a binary | single-ion
    /// interface the concentration shown on the single-ion side is interpolated.
    std::vector<std::vector<double>> probe(const Probes<dim> &probes) const override;
    /// Net charge F (z+ c+ + z- c-) integrated over the domain (C, or C/m in
    /// 2D); identically 0 with the electroneutral closure.
    double total_charge() const;
    /// Current into the electrolyte through boundary @p id (A, or A/m in 2D).
    double electrode_current(dealii::types::boundary_id id) const;
    /// Potential of electrode @p id (V): the unknown of a galvanostatic electrode,
    /// the prescribed value of a potentiostatic one.
    double electrode_potential(dealii::types::boundary_id id) const;

  private:
    /// RT / F (V).
    double thermal_voltage() const { return constants::gas * parameters.temperature / constants::faraday; }
    /// The constant factors of the scaled equations (see the class documentation).
    struct Coefficients
    {
      double anion_storage, anion_diffusion, anion_migration; ///< 1/D- (s/m^2), 1 - z-/z+, z-/z+
      double charge_migration, charge_diffusion;              ///< z+ - z- D-/D+, (D-/D+)(z+ - z-)
      double anion_source;                                    ///< scales r- (m^3 s/(mol m^2))
      double charge_source[2];                                ///< scale r+ and r- likewise
      double current;                                         ///< scales a current density: 1 / (F c0 D+) (m/A)
      double conductivity;                                    ///< scales sigma_ion: RT / (z+ F^2 c0 D+) (m/S)
      double species_source[2];                               ///< Poisson closure: scale r+ and r-: 1 / (c0+- D+-)
      double debye_length_squared;                            ///< Poisson closure: eps RT / (F^2 c0) (m^2)
    };
    struct CellScratch;
    void cell_terms_single_ion(const dealii::FEValues<dim> &fe_values, double kappa, CellScratch &scratch,
                               bool with_matrix, dealii::FullMatrix<double> &matrix, dealii::Vector<double> &rhs) const;
    void cell_terms_electroneutral(const dealii::FEValues<dim> &fe_values, const Coefficients &k, CellScratch &scratch,
                                   bool with_matrix, dealii::FullMatrix<double> &matrix,
                                   dealii::Vector<double> &rhs) const;
    void cell_terms_poisson(const dealii::FEValues<dim> &fe_values, const Coefficients &k, CellScratch &scratch,
                            bool with_matrix, dealii::FullMatrix<double> &matrix, dealii::Vector<double> &rhs) const;
    /// Electrode currents on one boundary face, with the mechanical overpotentials @p eta_mech (V) at its points.
    void face_terms(const dealii::FEFaceValues<dim> &face_values, dealii::types::boundary_id id,
                    const std::vector<double> &eta_mech, const LA::MPI::Vector &state, const CellScratch &scratch,
                    bool with_matrix, dealii::FullMatrix<double> &matrix, dealii::Vector<double> &rhs) const;
    /// True if electrode @p id has a metal potential (potentiostatic or galvanostatic).
    bool has_metal_potential(dealii::types::boundary_id id) const;
    /// (phi_s - U0) F / (R T) of electrode @p id at @p x: the Stern layer's outer potential.
    double stern_potential(dealii::types::boundary_id id, const dealii::Point<dim> &x) const;
    /// The component whose balance an electrode current enters: charge (1) or cation (0).
    unsigned int current_row() const { return parameters.closure == Closure::poisson ? 0 : 1; }
    /// The potential component: w (1) or psi (2).
    unsigned int potential_component() const { return parameters.closure == Closure::poisson ? 2 : 1; }
    /// Scales a current density into the row current_row() (m/A).
    double current_scale() const
    {
      return coefficients().current / (parameters.closure == Closure::poisson ? parameters.cation_valence : 1.0);
    }
    /// Volts per unit of the potential unknown: RT/(z+ F) for w, RT/F for psi.
    double potential_volts() const
    {
      return thermal_voltage() / (parameters.closure == Closure::poisson ? 1.0 : parameters.cation_valence);
    }
    /// @p c_and_phi (mol/m^3, V) expressed in the unknowns.
    std::unique_ptr<dealii::Function<dim>> scaled_state(const dealii::Function<dim> &c_and_phi) const;
    /// The bulk state (c = c0, phi = 0) in the unknowns.
    dealii::Functions::ConstantFunction<dim> bulk_state() const
    {
      return dealii::Functions::ConstantFunction<dim>(
        parameters.closure == Closure::poisson ? std::vector<double>{0, 0, 0} : std::vector<double>{1, 0});
    }
    /// The scaled concentration u from a concentration unknown: u itself, or
    /// exp(rho) for the log densities of the Poisson closure.
    double concentration(const double unknown) const
    {
      return parameters.closure == Closure::poisson ? std::exp(unknown) : unknown;
    }
    /// d concentration / d unknown.
    double d_concentration(const double unknown) const
    {
      return parameters.closure == Closure::poisson ? std::exp(unknown) : 1.0;
    }
    Coefficients coefficients() const;
    /// Concentration DoFs on owned cells that touch no binary-electrolyte cell.
    dealii::IndexSet find_single_ion_concentration_dofs() const;
    /// Constrains the single-ion concentration DoFs to @p value (u = 1; 0 for updates).
    void add_region_constraints(dealii::AffineConstraints<double> &constraints, double value) const;
    void add_boundary_constraints(dealii::AffineConstraints<double> &constraints) override;
    void assemble(bool with_matrix, const LA::MPI::Vector &state);
    /// Integral of concentration @p component (u, or u+ / u-) over the
    /// binary-electrolyte cells for the ghosted @p state (m^d).
    double salt_integral(const LA::MPI::Vector &state, unsigned int component = 0) const;
    /// Adds a multiple of the constrained unit concentration @p component to
    /// @p state so that its salt integral becomes @p target (m^d).
    void restore_salt(LA::MPI::Vector &state, double target, unsigned int component) const;
    /// The concentration components: 1 (electroneutral) or 2 (Poisson).
    unsigned int n_species() const { return parameters.closure == Closure::poisson ? 2 : 1; }
    /// Makes @p state the current state without history.
    void reset_history(const LA::MPI::Vector &state);
    /// DoFs, constraints, blocks and the linear system, without touching the state.
    void setup_system();
    /// The state and its history (BDF2, error estimates) move with the mesh.
    std::vector<const LA::MPI::Vector *> state_vectors() const override;
    /// The time, the BDF step sizes and the galvanostatic electrode potentials.
    void save_state(std::ostream &out) const override;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in) override;
    /// Records the salt content of each state before the mesh changes.
    void before_transfer() override;
    /// The system on a new mesh, keeping the galvanostatic potentials and the step history.
    void setup_on_new_mesh() override { setup_system(); }
    /// Takes over the interpolated states, each with its salt content restored
    /// exactly (to round-off) by a uniform shift of c; the last step can no
    /// longer be rejected.
    void restore_state(std::vector<LA::MPI::Vector> &states, typename Field<dim>::StateSource source) override;
    /// GMRES solve with the Newton matrix to the relative @p tolerance; returns the iterations.
    unsigned int solve_linear(LA::MPI::Vector &x, const LA::MPI::Vector &b, double tolerance) const;
    /// True if boundary @p id carries an electrode current.
    bool is_electrode(dealii::types::boundary_id id) const
    {
      return parameters.current_density.count(id) || parameters.electrode_potential.count(id) ||
             parameters.total_current.count(id);
    }
    /// i_n (A/m^2) of electrode @p id at @p x for the scaled concentration @p u,
    /// potential unknown @p w and mechanical overpotential @p eta_mech (V),
    /// with its derivatives in u, w and the electrode potential.
    double electrode_current_density(dealii::types::boundary_id id, const dealii::Point<dim> &x, double u, double w,
                                     double eta_mech, double *d_du, double *d_dw, double *d_dv = nullptr) const;
    /// eta_mech (V) at the points of @p face_values (reinitialised on face
    /// @p f of @p cell) from the stress read; zero without it.
    void mechanical_overpotentials(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell, unsigned int f,
                                   const dealii::FEFaceValues<dim> &face_values, std::vector<double> &eta_mech) const;
    /// Integral of i_n over boundary @p id at @p state (A, or A/m in 2D).
    double integrated_current(dealii::types::boundary_id id, const LA::MPI::Vector &state) const;
    /// Residuals G_k = integral of i_n - I_k (A or A/m) of the galvanostatic electrodes at @p state.
    std::vector<double> galvanostatic_residuals(const LA::MPI::Vector &state) const;
    /// The bordered part of the Newton matrix: b_k = dR/dV_k, c_k = dG_k/dx, d_k = dG_k/dV_k.
    /// Completes the Newton update of the field (given for V fixed) with the
    /// galvanostatic potentials; returns their updates (V).
    std::vector<double> bordered_update(const LA::MPI::Vector &state, LA::MPI::Vector &update, double tolerance,
                                        unsigned int &linear_iterations);
    void                assemble_galvanostatic(const LA::MPI::Vector &state, std::vector<LA::MPI::Vector> &b,
                                               std::vector<LA::MPI::Vector> &c, std::vector<double> &d) const;

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

    Parameters                        parameters;
    dealii::AffineConstraints<double> zero_constraints;    ///< homogeneous, for Newton updates
    BdfHistory                        history;             ///< u^n, u^{n-1}, u^{n-2} and their steps
    std::pair<double, unsigned int>   last_error{-1.0, 0}; ///< local error estimate of the last step and its order
    /// What reject_step() needs to restore besides the history.
    struct Undo
    {
      double                                       time = 0;
      std::map<dealii::types::boundary_id, double> potentials;
      bool                                         possible = false;
    } undo;
    std::array<double, 3>                           bdf{{1.0, -1.0, 0.0}};
    std::map<dealii::types::boundary_id, double>    galvanostatic_potential; ///< unknown electrode potentials (V)
    std::unique_ptr<dealii::DataPostprocessor<dim>> physical_units;          ///< writes c and phi in SI units
    dealii::IndexSet                                single_ion_dofs;         ///< u DoFs held at 1
    std::vector<dealii::IndexSet>                   block_dofs;              ///< owned u and w DoFs
    BlockPreconditioner                             preconditioner;          ///< of the Newton matrix
    std::array<std::array<double, 2>, 3> salt_before_transfer{}; ///< of u^n, u^{n-1}, u^{n-2} per species (m^d)
    const Quantity<dim> *stress = nullptr; ///< read from the registry; nullptr: no mechanical overpotential
    /// The stress (Pa) at the points of the electrode face rule, one evaluator
    /// per face number of the reference cell (made at the first use).
    mutable std::vector<CellEvaluator<dim>>     stress_on_face;
    mutable std::vector<dealii::Vector<double>> stress_at_points; ///< scratch of mechanical_overpotentials()
  };
} // namespace dendra

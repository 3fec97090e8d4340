#pragma once

#include <dendra/base/parameters.h>
#include <dendra/base/solvers.h>
#include <dendra/fields/field_registry.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/data_postprocessor.h>

#include <functional>
#include <map>
#include <memory>
#include <set>

namespace dendra
{
  class MaterialLibrary;

  /// Charge conservation -div(sigma(x) grad phi) = f with sigma piecewise by
  /// material, and Dirichlet (V), current (Neumann, A/m^2) and Robin
  /// boundary conditions by boundary id. The assembled system is scaled
  /// symmetrically by its diagonal before the AMG-preconditioned CG solve, so
  /// that metal/electrolyte conductivity contrasts of 1e9 do not spoil the
  /// solve (see scale_symmetrically()).
  template <int dim>
  class Electrostatics : public Field<dim>
  {
  public:
    /// Which material conductivity enters sigma(x).
    enum class ConductivityKind
    {
      electronic,
      ionic,
      total
    };

    /// Equation data and numerical settings (subsection "Electrostatics").
    struct Parameters
    {
      unsigned int     degree       = 1;                       ///< polynomial degree of phi (-)
      ConductivityKind conductivity = ConductivityKind::total; ///< sigma_e, sigma_ion or their sum
      std::shared_ptr<dealii::Function<dim>> source;           ///< f (A/m^3); null = 0
      /// Prescribed potential phi (V) by boundary id.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> dirichlet;
      /// Current density flowing into the domain, sigma dphi/dn (A/m^2), by boundary id.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> current;
      /// Robin data (component 0: conductance h in S/m^2, 1: reference potential in V):
      /// inward current = h (phi_ref - phi).
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> robin;
      /// Boundaries whose inward current density follows the run's current
      /// program ("b: program"): -i(t), the counter electrode of a plating working electrode.
      std::set<dealii::types::boundary_id> program_current;
      /// Solve only on the cells that conduct ions (sigma_ion > 0, Conductivity = ionic):
      /// the electrolyte, whose faces against electrode materials are electrodes.
      bool electrolyte_only = false;
      /// Metal electrodes at phi_s = 0 (subsection Electrode kinetics).
      struct Electrodes
      {
        std::vector<std::string>             materials;  ///< faces against these materials are electrodes
        std::set<dealii::types::boundary_id> boundaries; ///< boundaries that are electrodes
        std::shared_ptr<const ElectrodeKinetics> kinetics; ///< i_n(eta); null: no electrodes
        double interface_pressure = 0;     ///< Li pressure p of electrode faces outside a filling (Pa)
        double molar_volume       = 1.3e-5; ///< Omega_Li (m^3/mol) of the mechanical overpotential Omega p / F
        bool   crack_faces        = true;  ///< the faces of Li-filled cracks (chi |grad d|) are electrodes
        double newton_tolerance   = 1e-10; ///< residual reduction that ends the Newton iteration (-)
        unsigned int newton_iterations = 30; ///< limit of Newton iterations (-)
      } electrodes;
      LinearSolverSettings solver = scalar_solver_defaults(); ///< CG + AMG or direct settings

      /// ML with a lighter prolongator damping (1.2) suits the scalar problem; see benchmarks/elliptic.
      static LinearSolverSettings scalar_solver_defaults()
      {
        LinearSolverSettings s;
        s.prolongator_damping = 1.2;
        // Residuals of metal rows weigh sqrt(sigma_metal / sigma_electrolyte) more in
        // current units: a tight tolerance keeps Dirichlet reactions accurate.
        s.relative_tolerance = 1e-12;
        return s;
      }

      /// Declares subsection "Electrostatics".
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Reads subsection "Electrostatics"; boundaries may be named by @p
      /// names; the kinetics at @p temperature (K).
      void parse_parameters(dealii::ParameterHandler &prm, const BoundaryNames &names = {},
                            double temperature = 298.15);
    };

    /// Declares subsection "Electrostatics".
    static void declare_parameters(dealii::ParameterHandler &prm) { Parameters::declare_parameters(prm); }
    /// Reads it for a run in @p context; returns the maker of the field.
    static FieldMaker<dim> parse(dealii::ParameterHandler &prm, const FieldContext<dim> &context);

    /// A field on @p triangulation with materials from @p materials.
    Electrostatics(const dealii::parallel::distributed::Triangulation<dim> &triangulation,
                   const MaterialLibrary &materials, const Parameters &parameters);
    /// The field keeps a reference to the materials: temporaries are not allowed.
    Electrostatics(const dealii::parallel::distributed::Triangulation<dim> &, const MaterialLibrary &&,
                   const Parameters &) = delete;

    ~Electrostatics() override;

    /// Checks the boundary ids, then sets up DoFs, constraints and the system.
    void setup_dofs() override;
    /// Assembles and solves; returns iteration count and timings.
    SolverReport solve() override;
    /// Adds phi ("potential", V) and the current density -sigma grad phi
    /// ("current_density", A/m^2, the cell's conductivity) to @p data_out.
    void add_output(dealii::DataOut<dim> &data_out) const override;

    /// Current leaving the domain through each boundary id of the mesh (A in
    /// 3D, A/m in 2D): the discrete reactions on Dirichlet boundaries
    /// (conservative), the data on current and Robin boundaries, 0 elsewhere.
    std::map<dealii::types::boundary_id, double> boundary_currents() const;

    /// "electrostatics".
    std::string name() const override { return "electrostatics"; }
    /// Reads the damage degradation g(d) if a field provides it: damaged
    /// electrolyte conducts g(d) sigma (the conductivity is damage-dependent).
    /// With electrodes also the "li pressure" and "li filling" (the pressure
    /// of electrode faces against a filling) and the "li crack" and "damage
    /// gradient" (the faces of Li-filled cracks) where fields provide them.
    void read_quantities(QuantityRegistry<dim> &registry) override;
    /// With electrodes: the "filling plating current" (A/m^3 in 3D, A/m^2 in
    /// 2D): per cell, the plating current into a Li filling through the
    /// cell's electrode faces and crack band, over the cell's measure.
    void provide_quantities(QuantityRegistry<dim> &registry) const override;
    /// With electrodes and @p varying the "li pressure": keeps the bulk of the
    /// Newton system (the conductivity matrix, the electrode surfaces and the
    /// AMG object) across solves until release_inputs(), since the pressure
    /// enters only the kinetics on the surfaces.
    void hold_inputs_except(const std::string &varying) override;
    /// Forgets the kept bulk: the next solve assembles it anew.
    void release_inputs() override;

    /// The currents into the metal electrodes (A in 3D, A/m in 2D; > 0 plating).
    struct ElectrodeCurrents
    {
      double interface      = 0; ///< through electrode faces outside a Li filling
      double filling        = 0; ///< through faces against a filling and crack faces
      double filling_area   = 0; ///< area of those faces, crack faces as int chi |grad d| (m^2, m in 2D)
      double interface_area = 0; ///< area of the other electrode faces (m^2, m in 2D)
    };
    /// The mean plating current density (A/m^2, > 0 plating) at the electrode
    /// surface points x where @p where(x) holds (collective; 0 if none).
    double mean_electrode_current_density(const std::function<bool(const dealii::Point<dim> &)> &where) const;
    /// The electrode currents of the last solve.
    const ElectrodeCurrents &electrode_currents() const { return currents; }
    /// electrostatics_dofs, electrostatics_cg_iterations and the current
    /// through every boundary, current_<boundary> (A/m in 2D, A in 3D).
    void add_statistics(StatisticsTable &table, const BoundaryLabels &labels) override;
    /// "phi: <dofs> dofs, <iterations> CG it".
    std::string progress() const override;
    /// The currents leaving through the boundaries.
    std::string summary(const BoundaryLabels &labels) const override;
    /// "potential" (V).
    std::vector<std::pair<std::string, std::string>> probe_quantities() const override { return {{"potential", "V"}}; }
    /// The potential at the points of @p probes.
    std::vector<std::vector<double>> probe(const Probes<dim> &probes) const override
    {
      return probes.evaluate(this->mapping, this->dofs, this->locally_relevant_solution);
    }

  private:
    void   add_boundary_constraints(dealii::AffineConstraints<double> &constraints) override;
    void   assemble_system();
    /// True if @p cell is part of the domain (all cells, or those that conduct ions).
    bool in_domain(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell) const;
    /// Solves with Butler-Volmer electrodes by Newton's method.
    SolverReport solve_with_electrodes();
    /// Visits the electrode surfaces of the owned cells: @p visit(cell, values,
    /// weights, pressure, filling) gets the FEValuesBase of a face (or of the
    /// cell, for a crack band, with weights |grad d| dx instead of ds) with the
    /// Li pressure (Pa) and whether it plates into a filling.
    class ElectrodeSurfaces;
    /// The part of the Newton system that does not depend on phi; see the .cc file.
    struct NewtonBulk;
    /// Assembles the NewtonBulk of the current inputs with the homogeneous @p zero constraints.
    void assemble_newton_bulk(const dealii::AffineConstraints<double> &zero);
    /// Assembles the Newton system J delta = -R at the current solution
    /// (the matrix only with @p with_matrix) from the NewtonBulk and the
    /// electrode surfaces, with the homogeneous @p zero constraints.
    void assemble_newton(const dealii::AffineConstraints<double> &zero, bool with_matrix);
    /// The electrode currents and the filling current per cell of the current solution (collective).
    void update_electrode_currents();
    double conductivity_of(dealii::types::material_id id) const;
    /// The degradation g(d) at the points of @p quadrature; empty without damage.
    CellEvaluator<dim> make_degradation_evaluator(const dealii::Quadrature<dim> &quadrature) const;
    /// sigma (S/m) at the quadrature points of @p cell, degraded by @p degradation_at if given.
    void conductivities(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
                        const CellEvaluator<dim> &degradation_at, std::vector<double> &sigma) const;

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

    const MaterialLibrary            &materials;
    Parameters                        parameters;
    using Field<dim>::last_report;
    dealii::AffineConstraints<double> hanging_constraints;   ///< hanging nodes only (for reactions)
    const Quantity<dim>              *degradation = nullptr; ///< g(d) (-); null: undamaged
    const Quantity<dim>              *li_pressure = nullptr; ///< p (Pa) of a Li filling; null: none
    const Quantity<dim>              *li_filling  = nullptr; ///< 1 in a filled cavity (-)
    const Quantity<dim>              *li_crack    = nullptr; ///< chi (-)
    const Quantity<dim>              *damage_gradient = nullptr; ///< grad d (1/m)
    dealii::Vector<double>            filling_current;     ///< per active cell, see provide_quantities()
    ElectrodeCurrents                 currents;            ///< of the last solve
    std::unique_ptr<dealii::DataPostprocessor<dim>> current_output; ///< the current density for add_output()
    unsigned int                      newton_iterations = 0; ///< of the last solve with electrodes
    DirectSolver                      direct_solver;         ///< Linear solver type = direct: the kept factorisation
    std::unique_ptr<NewtonBulk>       newton_bulk;           ///< of the current solve, or of the held inputs
    bool                              bulk_held = false;     ///< keep newton_bulk across solves
  };
} // namespace dendra

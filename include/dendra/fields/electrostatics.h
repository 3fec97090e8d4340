#pragma once

#include <dendra/base/parameters.h>
#include <dendra/base/solvers.h>
#include <dendra/fields/field_registry.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/data_out.h>

#include <map>
#include <memory>

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
      LinearSolverSettings solver = scalar_solver_defaults(); ///< CG + AMG settings

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
      /// Reads subsection "Electrostatics"; boundaries may be named by @p names.
      void parse_parameters(dealii::ParameterHandler &prm, const BoundaryNames &names = {});
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

    /// Checks the boundary ids, then sets up DoFs, constraints and the system.
    void setup_dofs() override;
    /// Assembles and solves; returns iteration count and timings.
    SolverReport solve() override;
    /// Adds phi ("potential") to @p data_out.
    void add_output(dealii::DataOut<dim> &data_out) const override;

    /// Current leaving the domain through each boundary id of the mesh (A in
    /// 3D, A/m in 2D): the discrete reactions on Dirichlet boundaries
    /// (conservative), the data on current and Robin boundaries, 0 elsewhere.
    std::map<dealii::types::boundary_id, double> boundary_currents() const;

    /// "electrostatics".
    std::string name() const override { return "electrostatics"; }
    /// Reads the damage degradation g(d) if a field provides it: damaged
    /// electrolyte conducts g(d) sigma (the conductivity is damage-dependent).
    void read_quantities(QuantityRegistry<dim> &registry) override;
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
  };
} // namespace dendra

#pragma once

#include <dendra/base/parameters.h>
#include <dendra/base/solvers.h>
#include <dendra/fields/field_registry.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/component_mask.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/data_out.h>

#include <functional>
#include <map>
#include <memory>
#include <set>

namespace dendra
{
  class MaterialLibrary;
  struct MaterialOutputs;

  /// Linear elasticity with an eigenstrain: div sigma = 0,
  /// sigma = C(x) : (eps(u) - eps*), eps* = (eps_v / 3) I with eps_v the
  /// volumetric eigenstrain (added volume fraction), plus the growth
  /// eigenstrain of plated Li (read_quantities()). Plane strain in 2D
  /// (eps_zz = 0; the eigenstrain acts in z too, so sigma_zz != 0). Solved by CG
  /// with AMG whose near-null space holds all rigid-body modes.
  template <int dim>
  class Elasticity : public Field<dim>
  {
  public:
    /// A displacement condition: values (m) on the components in @p mask.
    struct DisplacementCondition
    {
      std::shared_ptr<dealii::Function<dim>> function; ///< dim components (m)
      dealii::ComponentMask                  mask;     ///< constrained components
    };

    /// Equation data and numerical settings (subsection "Elasticity").
    struct Parameters
    {
      unsigned int degree = 1; ///< polynomial degree of u (-)
      /// Prescribed displacement by boundary id.
      std::map<dealii::types::boundary_id, DisplacementCondition> displacement;
      /// Prescribed traction vector (Pa) by boundary id.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> traction;
      /// Pressure p (Pa) by boundary id: traction = -p n.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> pressure;
      /// Body force per volume (N/m^3), dim components; null = 0.
      std::shared_ptr<dealii::Function<dim>> body_force;
      /// Volumetric eigenstrain eps_v(x, t) (-); null = 0.
      std::shared_ptr<dealii::Function<dim>> volumetric_eigenstrain;
      /// Material names in which eps_v acts; empty = everywhere.
      std::vector<std::string> eigenstrain_materials;
      /// Growth eigenstrain eps_g of plated Li (the "plated li fraction"): the volume
      /// added per volume of plated metal (-).
      double growth_strain = 1;
      /// Growth eigenstrain eps_g n (x) n along growth_direction instead of
      /// the volumetric eps_g I / 3.
      bool growth_directional = false;
      /// Unit growth direction n of the directional mode (-), normal to the electrode.
      dealii::Tensor<1, dim> growth_direction;
      /// With damage, degrade all of the stiffness (hybrid) instead of only its tensile part.
      bool hybrid_damage = false;
      /// Factor (-) on the moduli of cells in a pressurised Li filling: its
      /// pressure carries the load, a small stiffness keeps the cells' motion determined.
      double               filling_stiffness_factor = 1e-6;
      LinearSolverSettings solver; ///< CG + AMG or direct settings

      Parameters();
      /// Declares subsection "Elasticity".
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Reads subsection "Elasticity"; boundaries may be named by @p names.
      void parse_parameters(dealii::ParameterHandler &prm, const BoundaryNames &names = {});
    };

    /// Extremes of the stress in a set of materials (Pa), with locations (m).
    struct StressSummary
    {
      double             max_principal = 0; ///< largest maximum principal stress
      dealii::Point<dim> max_principal_location;
      double             max_von_mises = 0; ///< largest von Mises stress
      dealii::Point<dim> max_von_mises_location;
      double             min_hydrostatic = 0; ///< most compressive hydrostatic stress
      double             max_hydrostatic = 0; ///< most tensile hydrostatic stress
    };

    /// Called with the position, material id and full (3x3) stress (Pa).
    using StressVisitor = std::function<void(const dealii::Point<dim> &, dealii::types::material_id,
                                             const dealii::SymmetricTensor<2, 3> &)>;

    /// Declares subsection "Elasticity" and Postprocess/Stress summary materials.
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads them for a run in @p context; returns the maker of the field.
    static FieldMaker<dim> parse(dealii::ParameterHandler &prm, const FieldContext<dim> &context);

    /// A field on @p triangulation with moduli from @p materials.
    Elasticity(const dealii::parallel::distributed::Triangulation<dim> &triangulation, const MaterialLibrary &materials,
               const Parameters &parameters);
    /// The field keeps a reference to the materials: temporaries are not allowed.
    Elasticity(const dealii::parallel::distributed::Triangulation<dim> &, const MaterialLibrary &&,
               const Parameters &) = delete;

    /// "elasticity".
    std::string name() const override { return "elasticity"; }
    /// Provides the "tensile elastic energy" psi+ (J/m^3) that drives damage,
    /// the "stress" (Pa) of the last update_stress_output(), the
    /// "displacement" (m) and the "volumetric strain" div u (-).
    void provide_quantities(QuantityRegistry<dim> &registry) const override;
    /// Reads what strains or softens the solid, where a field provides it:
    /// the "damage degradation" (volumetric-deviatoric split, Amor et al.
    /// 2009: sigma = g(d) [K <tr eps>+ I + 2 mu dev eps] + K <tr eps>- I, so
    /// cracks open under tension but carry compression); the "li phase" xi,
    /// which mixes the moduli with Li metal's by h(xi), with the "plated li
    /// fraction", which carries the growth eigenstrain; the "deposit
    /// volumetric eigenstrain" of Li plated into a defect; the "li pressure"
    /// p of a pressurised Li filling, which acts as p div v in the cells of
    /// the "li filling" (the wall traction p n on the cavity; those cells
    /// keep only Li filling stiffness factor times their moduli) and as the
    /// crack-face load -p chi v . grad d in the "li crack" band chi (with the
    /// "damage gradient"; Bourdin, Chukwudozie and Yoshioka 2012). Whether a point
    /// is in tension is read from the current displacement, so a solve after
    /// a change of d or of the load is one step of a fixed-point iteration.
    void read_quantities(QuantityRegistry<dim> &registry) override;
    /// With @p freeze, later solves decide tension or compression (which part
    /// of the stiffness damage degrades) from the current displacement
    /// instead of their own: the stiffness stops depending on the solution,
    /// so a staggered elasticity-damage loop minimises a fixed energy and
    /// cannot cycle. false: back to the fixed-point form.
    void freeze_irreversible_coupling(bool freeze) override;
    /// The displacement is affine in the Li pressure (a load) while the
    /// stiffness does not follow the solution: without damage, with the
    /// hybrid split, or with the split frozen.
    bool affine_in(const std::string &quantity) const override;
    /// While only the Li pressure varies and the displacement is affine in
    /// it, solves after the first keep the stiffness matrix (and a direct
    /// solver's factors) and assemble only the load, which is linear in p.
    void hold_inputs_except(const std::string &varying) override;
    /// Ends hold_inputs_except(): the next solve assembles the matrix again.
    void release_inputs() override;
    /// Checks the boundary ids, then sets up DoFs, constraints and the system.
    void setup_dofs() override;
    /// Assembles and solves; returns iteration count and timings.
    SolverReport solve() override;
    /// Elasticity can share a Newton system (Coupling/Scheme = monolithic).
    bool has_newton_block() const override { return true; }
    /// The displacement data of the current time; the current displacement is the first iterate.
    void begin_newton_block() override;
    /// R = K(u) u - f at the current displacement and the quantities read
    /// (rows in m: divided by K_ii); @p with_jacobian also assembles K and its AMG.
    void newton_block_residual(LA::MPI::Vector &residual, bool with_jacobian) override;
    /// K z = r K_ii by CG with the AMG of the last Jacobian (Elasticity/Linear
    /// solver); the step's CG iterations add up in last_solver_report().
    void newton_block_solve(const LA::MPI::Vector &r, LA::MPI::Vector &z) override;
    /// Adds the displacement and the stress fields (von Mises, hydrostatic,
    /// maximum principal, components) to @p data_out; call update_stress_output() first.
    void add_output(dealii::DataOut<dim> &data_out) const override;

    /// Calls @p visit at every point of @p quadrature in every owned cell.
    void visit_stresses(const dealii::Quadrature<dim> &quadrature, const StressVisitor &visit) const;
    /// Stress extremes over cells whose material id is in @p material_ids (all if empty).
    StressSummary stress_summary(const std::set<dealii::types::material_id> &material_ids) const;
    /// Computes the discontinuous stress fields written by add_output() (a
    /// cache of the displacement: const).
    void update_stress_output() const;
    /// Marks the stress fields out of date and updates them now if a field
    /// reads the "stress"; else they are updated when output or probes need
    /// them (a pressure balance publishes many trial displacements).
    void publish() override;
    /// The materials whose stress extremes the statistics report (all if
    /// empty), with the column label of each by id.
    void set_summary_materials(const std::map<dealii::types::material_id, std::string> &labels);
    /// elasticity_dofs, elasticity_cg_iterations and the stress extremes in
    /// the summary materials (each one's too if there are several); records the peak.
    void add_statistics(StatisticsTable &table, const BoundaryLabels &labels) override;
    /// The largest maximum principal stress in the summary materials over all
    /// accepted steps so far (Pa).
    double peak_max_principal_stress() const { return peak_max_principal; }
    /// The maximum principal and von Mises stress in the summary materials.
    std::string summary(const BoundaryLabels &labels) const override;
    /// "u: <dofs> dofs, <iterations> CG it".
    std::string progress() const override;
    /// The time and the peak stress.
    void save_state(std::ostream &out) const override;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in) override;
    /// Names of the stress output fields, in component order.
    static std::vector<std::string> stress_field_names();
    /// "displacement_x", ... (m) and the stress_field_names() (Pa).
    std::vector<std::pair<std::string, std::string>> probe_quantities() const override;
    /// The displacement and the stress output at the points of @p probes.
    std::vector<std::vector<double>> probe(const Probes<dim> &probes) const override;

  private:
    class PointData;
    void add_boundary_constraints(dealii::AffineConstraints<double> &constraints) override;
    /// Degrades the moduli in @p out at the points of @p point_data's cell by
    /// its damage, in tension only for the bulk part; @p strains are eps(u).
    void apply_damage(const std::vector<dealii::SymmetricTensor<2, dim>> &strains, const PointData &point_data,
                      MaterialOutputs &out) const;
    /// Assembles K and f into the system (only f if @p keep_matrix: K is that
    /// of the last assembly), or with @p residual the residual K(u) u - f of
    /// the current displacement into it (the system untouched; needs the zero
    /// constraints of begin_newton_block()).
    void assemble_system(LA::MPI::Vector *residual = nullptr, bool keep_matrix = false);

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

    const MaterialLibrary               &materials;
    Parameters                           parameters;
    std::set<dealii::types::material_id> eigenstrain_ids;
    const Quantity<dim>                 *deposit_eigenstrain = nullptr; ///< eps_v (-) of Li in a defect
    const Quantity<dim>                 *li_phase            = nullptr; ///< xi (-)
    const Quantity<dim>                 *plated_li           = nullptr; ///< h(xi) - h(xi_ref) per cell (-)
    const Quantity<dim>                 *degradation         = nullptr; ///< g(d) (-)
    const Quantity<dim>                 *li_pressure         = nullptr; ///< p (Pa) of a Li filling
    const Quantity<dim>                 *li_filling          = nullptr; ///< 1 in a filled cavity (-)
    const Quantity<dim>                 *li_crack            = nullptr; ///< chi (-): the Li-filled crack band
    const Quantity<dim>                 *damage_gradient     = nullptr; ///< grad d (1/m)
    bool                                 split_frozen        = false;   ///< see freeze_irreversible_coupling()
    LA::MPI::Vector                      split_state;                   ///< the frozen displacement
    bool                                 pressure_only_varies = false;  ///< within hold_inputs_except(li pressure)
    bool                                 held_matrix_ready    = false; ///< the system matrix is that of the held inputs
    LA::MPI::Vector row_diagonal;         ///< K_ii of a Newton block solve's first assembly, 0 on constrained rows
    LA::MPI::Vector inverse_diagonal;     ///< 1 / K_ii, 0 on constrained rows
    bool            diagonal_set = false; ///< row_diagonal is that of the current Newton block solve
    dealii::AffineConstraints<double> zero_constraints; ///< homogeneous, for Newton block residuals
    AMGPreconditioner                 block_amg;        ///< of the last Newton block Jacobian
    DirectSolver                      direct_solver;    ///< Linear solver type = direct: the kept factorisation

    dealii::FESystem<dim>           stress_fe;
    mutable dealii::DoFHandler<dim> stress_dofs;
    mutable LA::MPI::Vector         stress_output;
    mutable bool                    stress_stale = true;    ///< the displacement changed since the last update
    const QuantityRegistry<dim>    *quantities   = nullptr; ///< of read_quantities(): who reads the stress

    std::map<dealii::types::material_id, std::string> summary_labels;         ///< see set_summary_materials()
    double                                            peak_max_principal = 0; ///< Pa
  };
} // namespace dendra

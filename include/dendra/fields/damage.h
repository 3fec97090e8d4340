#pragma once

#include <dendra/base/parameters.h>
#include <dendra/base/solvers.h>
#include <dendra/fields/field_registry.h>
#include <dendra/fields/irreversible_field.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/data_out.h>

#include <functional>
#include <memory>
#include <set>
#include <vector>

namespace dendra
{
  class MaterialLibrary;

  /// Phase-field fracture of brittle solids (PHYSICS.md Section 5): the damage
  /// d (0 intact, 1 broken) minimises
  ///   int g(d) psi+ + psi- + G_c / (c_w) (w(d) / l + l |grad d|^2) dx
  /// over d_n <= d <= max(1, d_n) (irreversibility and the broken state as bounds,
  /// solved by a primal-dual active set), with g(d) = (1 - d)^2 + k and, for AT2, w = d^2, c_w = 2 (no elastic
  /// threshold), for AT1, w = d, c_w = 8/3 (a threshold stress). G_c (J/m^2)
  /// and l (m) are material properties; materials with G_c = 0 do not damage.
  /// The tensile energy psi+ (J/m^3) is a coupled quantity that elasticity
  /// provides, so the fields stay independent; staggering them is the Simulator's job.
  template <int dim>
  class Damage : public IrreversibleField<dim>
  {
  public:
    /// The crack surface density.
    enum class Model
    {
      at2, ///< w(d) = d^2: damage starts at any tensile energy
      at1  ///< w(d) = d: damage starts at sigma_c = sqrt(3 G_c E / (8 l))
    };

    /// Model and solver settings (subsection "Damage").
    struct Parameters
    {
      Model        model                 = Model::at2;
      double       residual_stiffness    = 1e-6; ///< k in g(d) = (1 - d)^2 + k (-)
      double       viscosity             = 0;    ///< eta of eta dd/dt (Pa s)
      unsigned int active_set_iterations = 50;   ///< limit of the bound-constrained solve (-)
      /// With a Li pressure p in a crack band chi: the work of p on the opening
      /// (-p V, V = -int chi u . grad d) enters the energy, so pressure drives damage.
      bool pressure_work = true;
      /// Dissipate G_c on the mesh: use G_c / (1 + 3 h / (8 l)) (AT1) or
      /// G_c / (1 + h / (2 l)) (AT2), h the cell's smallest edge (Bourdin et al. 2008).
      bool                 mesh_corrected_energy = false;
      LinearSolverSettings solver; ///< CG + AMG or direct settings
      /// Cell size targets for adaptive meshes (subsection "Adaptive refinement").
      struct Refinement
      {
        double       cells_per_length    = 4;    ///< target edge l / this where damage lives (-); 0: no targets
        double       damage_threshold    = 0.01; ///< cells whose largest nodal d exceeds this get the target (-)
        double       tip_energy_fraction = 0.5;  ///< and cells whose psi+ exceeds this fraction of 3 G_c / (16 l) (-)
        unsigned int rings               = 2;    ///< rings of neighbour cells that get the target too (-)
      } refinement;

      /// Declares subsection "Damage".
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Reads subsection "Damage".
      void parse_parameters(dealii::ParameterHandler &prm);
    };

    /// When the cracked electrolyte fails the cell (subsection "Failure").
    struct FailureCriterion
    {
      double                     damage_threshold    = 0.95; ///< d (-) of a crack band
      double                     height_fraction     = 0.5;  ///< band top / separator thickness that fails (-)
      double                     interface_band      = 1e-6; ///< damage below this height (m) is near-interface
      double                     separator_thickness = 0;    ///< the geometry's electrolyte thickness (m); 0: none
      dealii::types::boundary_id counter_electrode   = dealii::numbers::invalid_boundary_id; ///< contact fails
    };
    /// Where the damage is after one accepted step: the typed counterpart of
    /// the damage columns of statistics.csv, for studies.
    struct Record
    {
      double time               = 0;     ///< s
      double damaged_measure    = 0;     ///< cracked (d > threshold) area or volume (m^2 or m^3)
      double measure_below_band = 0;     ///< of it, below the near-interface band (m^2 or m^3)
      double crack_top          = 0;     ///< highest cracked point (m)
      double centroid_height    = 0;     ///< height of the cracked region's centroid (m)
      bool   failed             = false; ///< the failure criterion held at or before this step
    };

    /// Declares subsections "Damage" and "Failure" (but Stop at failure, the Simulator's).
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads them for a run in @p context; returns the maker of the field.
    static FieldMaker<dim> parse(dealii::ParameterHandler &prm, const FieldContext<dim> &context);

    /// A field on @p triangulation; G_c and l from @p materials (kept by reference).
    Damage(const dealii::parallel::distributed::Triangulation<dim> &triangulation, const MaterialLibrary &materials,
           const Parameters &parameters);

    /// DoFs and d = 0 (or the lower bound where one was set); d = 0 is held
    /// where no cell around a DoF can damage.
    void setup_dofs() override;
    /// Length of the load step since the last commit (s), for the viscosity.
    void set_time_step(double dt) override { time_step = dt; }
    /// "damage".
    std::string name() const override { return "damage"; }
    /// Provides "damage" (d in the damageable materials, 0 elsewhere),
    /// "damage degradation" (g(d) there, 1 elsewhere) and "damage gradient"
    /// (grad d there, 0 elsewhere; 1/m).
    void provide_quantities(QuantityRegistry<dim> &registry) const override;
    /// Reads the "tensile elastic energy" psi+ that drives the damage
    /// (required) and, with Pressure work, the "li pressure" p, the "li
    /// crack" band chi and the "displacement" u if fields provide them: the
    /// pressure work p int chi u . grad q in the direction q of a damage change.
    void read_quantities(QuantityRegistry<dim> &registry) override;
    /// Fixes d = 1 at the DoFs whose support points satisfy @p in_crack: a
    /// pre-existing crack (notch). Call before setup_dofs().
    void set_initial_crack(const std::function<bool(const dealii::Point<dim> &)> &in_crack);
    /// Minimises the energy for the current psi+ with the committed damage
    /// <= d <= 1; returns the CG iterations of all active-set steps.
    SolverReport solve() override;
    /// The current damage becomes the lower bound of later solves (call
    /// when a time step is accepted).
    void commit() override;
    /// Largest change of d (-) in the last solve().
    double last_change() const { return change; }
    /// g(d) = (1 - d)^2 + k (-).
    double degradation(double d) const;
    /// True if cells of material @p id can damage (G_c > 0).
    bool damageable(dealii::types::material_id id) const { return damageable_ids.count(id) > 0; }
    /// The materials that can damage.
    const std::set<dealii::types::material_id> &damageable_materials() const { return damageable_ids; }
    /// Back to the committed damage (after a failed staggered solve), with
    /// every DoF free in the next solve's first active set.
    void reset() override;
    /// Back to the damage committed before the last commit(), which becomes
    /// the bound again (a step solved again on a refined mesh).
    void undo_commit() override;
    /// l / Cells per length scale (m, l of the cell's material) on the cells
    /// where damage lives (largest nodal d above the Damage threshold) or is
    /// about to (psi+ above the Tip energy fraction of the AT1 onset energy
    /// 3 G_c / (16 l): ahead of crack tips), and on Rings of cells around them.
    bool cell_size_targets(dealii::Vector<float> &targets) const override;
    /// Volume (area in 2D) of the damageable cells where d > @p threshold (m^3 or m^2).
    double damaged_measure(double threshold) const;
    /// Where the damage is: the part of the damageable cells with d > a threshold.
    struct Region
    {
      double measure            = 0; ///< volume (area in 2D) (m^3 or m^2)
      double measure_below_band = 0; ///< of it, below the band height (m^3 or m^2)
      double centroid_height    = 0; ///< mean last coordinate (m); 0 if empty
      double top                = 0; ///< largest last coordinate (m); 0 if empty
    };
    /// The region with d > @p threshold; heights are the last coordinate
    /// (y in 2D, z in 3D), and @p band (m) splits off the part below it.
    Region damaged_region(double threshold, double band = 0) const;
    /// Mean d (-) of every owned and ghost active cell, by active cell index.
    dealii::Vector<float> cell_damage() const;
    /// Adds "damage" (-).
    void add_output(dealii::DataOut<dim> &data_out) const override;

    /// Sets the failure criterion of check_failure() and of the damage columns.
    void set_failure_criterion(const FailureCriterion &criterion) { failure = criterion; }
    /// True if the damage meets the failure criterion: cracked electrolyte
    /// (d >= threshold) reaches the failure height or touches the counter electrode.
    bool meets_failure_criterion() const;
    /// The reason, the first time the criterion holds after an accepted step.
    std::string check_failure(double time) override;
    /// damage_dofs, max_damage, damaged_area (or _volume), crack_top,
    /// damage_centroid_height, damage_near_interface_fraction, failed; records the step.
    void add_statistics(StatisticsTable &table, const BoundaryLabels &labels) override;
    /// One Record per accepted step so far.
    const std::vector<Record> &history() const { return records; }
    /// "d: <dofs> dofs".
    std::string progress() const override;
    /// The time, whether the cell failed, and the records.
    void save_state(std::ostream &out) const override;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in) override;

  private:
    void add_boundary_constraints(dealii::AffineConstraints<double> &constraints) override;
    /// The damage, its lower bound (the committed damage) and the bound
    /// before the last commit move with the mesh.
    std::vector<const LA::MPI::Vector *> state_vectors() const override;
    /// The DoFs on a new mesh, without resetting d; every DoF free in the
    /// next solve's first active set.
    void setup_on_new_mesh() override;
    /// Takes over d and its bound.
    void restore_state(std::vector<LA::MPI::Vector> &state, typename Field<dim>::StateSource source) override;
    /// Evaluates psi+ at the quadrature points of the owned damageable cells
    /// (it stays fixed while the active set changes).
    void evaluate_driving_energy(const dealii::Quadrature<dim> &quadrature);
    /// The relative excess of the dissipation of a crack through @p cell over
    /// G_c for length scale @p l (m): 3 h / (8 l) for AT1, h / (2 l) for AT2.
    double dissipation_excess(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell, double l) const;
    /// The cell matrix and right-hand side of A d = b for the stored psi+.
    void cell_system(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
                     dealii::FEValues<dim> &fe_values, dealii::FullMatrix<double> &matrix,
                     dealii::Vector<double> &rhs) const;
    /// Assembles A d = b for the current psi+ with @p with_constraints.
    void assemble(const dealii::AffineConstraints<double> &with_constraints);
    /// lambda = A d - b without the bounds, at the ghosted @p d: positive
    /// where the bound holds d up.
    LA::MPI::Vector bound_multiplier(const LA::MPI::Vector &d) const;

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

    const MaterialLibrary               &materials;
    Parameters                           parameters;
    std::set<dealii::types::material_id> damageable_ids;
    const Quantity<dim>                 *driving_energy = nullptr; ///< psi+ (J/m^3)
    const Quantity<dim>                 *li_pressure    = nullptr; ///< p (Pa); null: no pressure work
    const Quantity<dim>                 *li_crack       = nullptr; ///< chi (-)
    const Quantity<dim>                 *displacement   = nullptr; ///< u (m)
    /// psi+ (J/m^3) per active cell index and quadrature point, of the current solve.
    std::vector<std::vector<double>> tensile_energy;
    /// p chi u (N/m) per active cell index and quadrature point, of the current solve (empty: none).
    std::vector<std::vector<dealii::Tensor<1, dim>>> pressure_load;
    /// Diagonal scale of the rows held at d = 0: the largest G_c / l (J/m^3).
    double                                          held_row_scale = 0;
    DirectSolver                                    direct_solver; ///< Linear solver type = direct: the kept factorisation
    std::function<bool(const dealii::Point<dim> &)> initial_crack;
    LA::MPI::Vector                                 lower_bound;         ///< committed damage, with ghost values
    LA::MPI::Vector                                 bound_before_commit; ///< the lower bound before the last commit()
    /// The active set of the last solve within this step (0 free, 1 held at
    /// d_n, 2 held at the upper bound): the next solve's first guess, so that
    /// the staggered passes of a step need fewer active-set iterations. All
    /// free at the start of a step and on a new mesh.
    LA::MPI::Vector                                 active_set;
    double                                          change    = 0;
    double                                          time_step = 0; ///< s, since the committed state
    FailureCriterion                                failure;
    bool                                            failed = false; ///< the criterion held after some step
    std::vector<Record>                             records;        ///< see history()
  };
} // namespace dendra

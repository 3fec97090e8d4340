#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/base/solvers.h>
#include <dendra/core/quantities.h>
#include <dendra/postprocess/output_writer.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/function.h>
#include <deal.II/distributed/solution_transfer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe.h>
#include <deal.II/fe/mapping_q.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/data_out.h>

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <utility>

namespace dendra
{
  /// Column names of boundaries in statistics.csv, by boundary id.
  using BoundaryLabels = std::map<dealii::types::boundary_id, std::string>;

  /// The column name of boundary @p id: its label in @p labels, or its id.
  inline std::string boundary_label(const BoundaryLabels &labels, const dealii::types::boundary_id id)
  {
    const auto it = labels.find(id);
    return it != labels.end() ? it->second : std::to_string(id);
  }

  /// Measure of boundary @p id of @p triangulation (m^2, or m in 2D; collective).
  template <int dim>
  double boundary_measure(const dealii::parallel::distributed::Triangulation<dim> &triangulation,
                          dealii::types::boundary_id                               id);

  /// The cell of @p dofs that is the same mesh cell as @p cell (both on one triangulation).
  template <int dim>
  typename dealii::DoFHandler<dim>::active_cell_iterator
  same_cell(const typename dealii::Triangulation<dim>::active_cell_iterator &cell, const dealii::DoFHandler<dim> &dofs)
  {
    return typename dealii::DoFHandler<dim>::active_cell_iterator(&cell->get_triangulation(), cell->level(),
                                                                  cell->index(), &dofs);
  }

  /// One PDE with its own finite element, DoFHandler, constraints and vectors,
  /// and the lifecycle every field shares (deal.II step-40's verbs, Lethe's
  /// AuxiliaryPhysics): set up, solve at a time, estimate errors, transfer the
  /// solution across mesh changes, add output. Fields never call each other.
  template <int dim>
  class Field
  {
  public:
    virtual ~Field();

    /// Distributes DoFs, builds constraints and allocates the linear system.
    virtual void setup_dofs();
    /// Assembles and solves at the current time; returns iterations and timings.
    virtual SolverReport solve() = 0;
    /// Adds the field's output to @p data_out.
    virtual void add_output(dealii::DataOut<dim> &data_out) const = 0;
    /// The field's name in Simulation/Fields (and in messages about its couplings).
    virtual std::string name() const = 0;
    /// Adds the coupled quantities this field provides to @p registry (none by default).
    virtual void provide_quantities(QuantityRegistry<dim> &registry) const;
    /// Reads the coupled quantities this field needs from @p registry (none by
    /// default); a missing required one is an InputError. Call once, after all
    /// fields have provided theirs.
    virtual void read_quantities(QuantityRegistry<dim> &registry);

    /// Marks (1) the active cells that must stay at the finest level (a
    /// diffuse interface and rings around it), by active cell index; returns
    /// false, leaving @p cells alone, if the field has none (the default).
    virtual bool cells_to_keep_refined(dealii::Vector<float> &cells) const;
    /// The edge length (m) each active cell should have, by active cell
    /// index, 0 where the field has no wish (owned and ghost cells); returns
    /// false, leaving @p targets alone, if the field sets none (the default).
    /// A run whose fields set targets adapts to them, deterministically.
    virtual bool cell_size_targets(dealii::Vector<float> &targets) const;
    /// Adds the field's own columns to the current row of @p table (none by
    /// default) after an accepted step; boundaries are named by @p labels
    /// (missing: their id). Fields may record their history here.
    virtual void add_statistics(StatisticsTable &table, const BoundaryLabels &labels);
    /// Lines on the field's final state for the end of the log (empty by default).
    virtual std::string summary(const BoundaryLabels &labels) const;
    /// Names and units of the quantities probe() returns (none by default).
    virtual std::vector<std::pair<std::string, std::string>> probe_quantities() const;
    /// The probe_quantities() at the points of @p probes, in SI units: result[point][quantity].
    virtual std::vector<std::vector<double>> probe(const Probes<dim> &probes) const;

    /// A few words on the last solve for the progress line ("u: 1234 dofs, 12
    /// CG it"); empty by default.
    virtual std::string progress() const;
    /// Updates what other fields read from this one and that is derived from
    /// the solution (elasticity's stress); call after the solution changed
    /// outside solve() or once a step is final. Nothing by default.
    virtual void publish() {}
    /// While a fracture scheme alternates this field with an irreversible one:
    /// evaluate what depends on the irreversible state at its committed value
    /// (@p freeze = true), so that the passes minimise one energy. Nothing by default.
    virtual void freeze_irreversible_coupling(bool freeze) { (void)freeze; }
    /// True while the solution is an affine function of the scalar quantity
    /// @p quantity with every other input fixed: a scheme that varies only
    /// that quantity may interpolate two solutions instead of solving again.
    /// False by default.
    virtual bool affine_in(const std::string &quantity) const
    {
      (void)quantity;
      return false;
    }
    /// A scheme is about to solve the field several times at one time while
    /// only the scalar quantity @p varying changes (the mesh and every other
    /// input fixed) until release_inputs(): the field may keep what depends
    /// only on the fixed inputs, such as assembled matrices and
    /// preconditioners. Nothing by default.
    virtual void hold_inputs_except(const std::string &varying) { (void)varying; }
    /// Ends hold_inputs_except(): the inputs may change again. Nothing by default.
    virtual void release_inputs() {}
    /// Checks the field's failure criterion after the accepted step at @p time
    /// (s): the reason the cell failed (the first time it holds), else empty.
    virtual std::string check_failure(double time);
    /// Called once the mesh and the state of every field on it are final:
    /// after setup (and the initial refinement), after each adaptation and
    /// after a resume. Nothing by default.
    virtual void on_mesh_ready() {}

    /// Monolithic scheme (Coupling/Scheme = monolithic): true if the field can
    /// be one block of a Newton system shared with other fields through the
    /// newton_block hooks below (false by default).
    virtual bool has_newton_block() const { return false; }
    /// Starts a shared Newton solve at the current time (s): the boundary data
    /// of that time, the current solution as the first iterate.
    virtual void begin_newton_block();
    /// The residual R of the current solution (owned; what the other fields
    /// publish enters it) with zero constrained entries, each row divided by
    /// the Jacobian diagonal of the solve's first Jacobian (R then has the
    /// units of the unknowns); @p with_jacobian also assembles the Jacobian
    /// at the current solution for newton_block_solve().
    virtual void newton_block_residual(LA::MPI::Vector &residual, bool with_jacobian);
    /// Solves J @p z = @p r with the Jacobian of the last
    /// newton_block_residual(..., true), @p r in the rows of the residual
    /// (scaled as it); the constrained entries of @p z do not matter
    /// (set_solution() sets them).
    virtual void newton_block_solve(const LA::MPI::Vector &r, LA::MPI::Vector &z);

    /// Sets the time t (s) at which data are evaluated.
    void set_time(double time);
    /// L2 and H1-seminorm errors of the solution against @p exact.
    std::pair<double, double> compute_errors(const dealii::Function<dim> &exact) const;
    /// Kelly error indicator per active cell.
    void estimate_error(dealii::Vector<float> &indicators) const;
    /// Stores the field's state (state_vectors()) before the mesh changes:
    /// one mechanism for every field.
    void prepare_for_transfer();
    /// Sets up the field on the new mesh and interpolates its stored state.
    void finish_transfer();
    /// Attaches the field's state to the triangulation for a checkpoint
    /// (call before Triangulation::save()).
    void prepare_for_serialization();
    /// Sets up the field on a triangulation just loaded from a checkpoint and
    /// reads its state (the fields must attach in the same order as saved).
    /// Call load_state() first: the constraints are those of the saved time.
    void deserialize();
    /// Writes the field's scalar state for a checkpoint (default: its time;
    /// transient fields add their BDF step sizes); vectors go through
    /// prepare_for_serialization().
    virtual void save_state(std::ostream &out) const;
    /// Reads what save_state() wrote.
    virtual void load_state(std::istream &in);

    /// The solution with ghost values.
    const LA::MPI::Vector &solution() const { return locally_relevant_solution; }
    /// Replaces the solution by @p owned (owned entries; the constraints are
    /// applied): a coupling scheme's relaxed iterate.
    void set_solution(const LA::MPI::Vector &owned);
    /// The DoF handler of the solution.
    const dealii::DoFHandler<dim> &dof_handler() const { return dofs; }
    /// The (isoparametric) mapping used for this field.
    const dealii::Mapping<dim> &get_mapping() const { return mapping; }
    /// Number of unknowns.
    dealii::types::global_dof_index n_dofs() const { return dofs.n_dofs(); }
    /// Polynomial degree of the element (its highest, for systems).
    unsigned int degree() const { return fe->degree; }
    /// Iterations and timings of the last solve() or advance().
    const SolverReport &last_solver_report() const { return last_report; }
    /// Wall-clock seconds of the last setup_dofs().
    double setup_time() const { return last_setup_time; }
    /// Wall-clock seconds of the last assembly.
    double assembly_time() const { return last_assembly_time; }
    /// The mesh of the field.
    const dealii::parallel::distributed::Triangulation<dim> &get_triangulation() const { return triangulation; }

  protected:
    /// A field with element @p fe on @p triangulation; mapping degree = element degree.
    Field(const dealii::parallel::distributed::Triangulation<dim> &triangulation,
          std::unique_ptr<dealii::FiniteElement<dim>>              fe);

    /// Rebuilds @p constraints: hanging nodes plus add_boundary_constraints().
    void make_constraints();
    /// Rebuilds @p zero with the constraints of make_constraints() but zero
    /// inhomogeneities: the constraints of Newton updates.
    void make_zero_constraints(dealii::AffineConstraints<double> &zero);
    /// Holds at 0 in @p constraints the unconstrained DoFs (of a scalar
    /// element) that no owned or ghost cell where @p inside holds touches: a
    /// field solved on part of the mesh.
    void
    constrain_outside(const std::function<bool(const typename dealii::DoFHandler<dim>::active_cell_iterator &)> &inside,
                      dealii::AffineConstraints<double> &constraints) const;
    /// Adds the field's Dirichlet conditions (at the current time) to @p constraints.
    virtual void add_boundary_constraints(dealii::AffineConstraints<double> &constraints) = 0;

    /// The ghosted vectors on this field's DoFs that are its state: they move
    /// with the mesh and go into checkpoints. Default: the solution.
    virtual std::vector<const LA::MPI::Vector *> state_vectors() const;
    /// Called before the state is stored for a mesh change (default: nothing).
    virtual void before_transfer() {}
    /// Sets up DoFs, constraints and the system on a new mesh, keeping the
    /// field's other data (default: setup_dofs()).
    virtual void setup_on_new_mesh() { setup_dofs(); }
    /// Where restored state comes from: interpolated across a mesh change, or
    /// read unchanged from a checkpoint.
    enum class StateSource
    {
      mesh_change,
      checkpoint
    };
    /// Takes over the state on the new mesh: owned vectors in the order of
    /// state_vectors(), constraints applied. Default: the solution.
    virtual void restore_state(std::vector<LA::MPI::Vector> &state, StateSource source);

    MPI_Comm                                                 communicator;
    const dealii::parallel::distributed::Triangulation<dim> &triangulation;
    std::unique_ptr<dealii::FiniteElement<dim>>              fe;
    dealii::MappingQ<dim>                                    mapping;
    dealii::DoFHandler<dim>                                  dofs;
    dealii::IndexSet                                         locally_owned, locally_relevant;
    dealii::AffineConstraints<double>                        constraints;
    LA::MPI::SparseMatrix                                    system_matrix;
    LA::MPI::Vector                                          system_rhs, locally_relevant_solution;
    double                                                   time               = 0;
    double                                                   last_setup_time    = 0;
    double                                                   last_assembly_time = 0;
    SolverReport                                             last_report; ///< set by solve() and advance()

  private:
    /// A new SolutionTransfer on the current DoFs; returns the state vectors it will move.
    std::vector<const LA::MPI::Vector *> begin_state_transfer();
    /// Interpolates the stored state onto the new DoFs (by @p read) and restores it.
    void finish_state_transfer(const std::function<void(std::vector<LA::MPI::Vector *> &)> &read, StateSource source);

    std::unique_ptr<dealii::parallel::distributed::SolutionTransfer<dim, LA::MPI::Vector>> transfer;
    std::size_t n_state_vectors = 0; ///< vectors stored by the last prepare_*
  };
} // namespace dendra

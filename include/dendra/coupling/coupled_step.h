#pragma once

#include <dendra/base/solvers.h>
#include <dendra/core/coupling_schemes.h>
#include <dendra/core/quantities.h>
#include <dendra/coupling/defect_deposit.h>
#include <dendra/fields/field.h>
#include <dendra/fields/irreversible_field.h>
#include <dendra/fields/transient_field.h>
#include <dendra/postprocess/output_writer.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// The fields of a run sorted by role, and the named coupling schemes of
  /// subsection Coupling that solve one step of them: the staggered scheme
  /// (a transient field with the quasi-static fields it exchanges quantities
  /// with, Coupling/Staggered), or the monolithic one (both in one Newton
  /// system, Coupling/Monolithic) and the fracture scheme (an irreversible
  /// field with the fields it reads, alternate minimisation with step
  /// halving, Coupling/Alternate minimisation). Knows no concrete field:
  /// roles come from the interfaces and partners from who reads whom.
  template <int dim>
  class CoupledStep
  {
  public:
    /// How a quasi-static step uses an adaptive mesh.
    struct Adaptation
    {
      unsigned int cycles = 0; ///< solve-and-adapt cycles before the final solve (-)
      /// Re-solves of a step, from the state committed before it, after
      /// adapting the mesh to a solution that under_resolved() (-).
      unsigned int          redo_limit = 0;
      std::function<void()> adapt;          ///< adapts the mesh and transfers the fields
      std::function<bool()> under_resolved; ///< true if the solution wants a finer mesh than it has
    };

    /// The schemes of @p coupling for @p fields (rank order) connected
    /// through @p quantities; the deposit follows the time and the damage.
    /// InputError for a combination no scheme supports.
    CoupledStep(const std::vector<std::unique_ptr<Field<dim>>> &fields, const QuantityRegistry<dim> &quantities,
                const CouplingParameters &coupling, DefectDeposit<dim> &deposit);

    /// The transient field, or nullptr in a quasi-static run.
    TransientField<dim> *transient_field() const { return transient; }
    /// The irreversible field, or nullptr.
    IrreversibleField<dim> *irreversible_field() const { return irreversible; }

    /// One quasi-static step from @p start to @p time (s): @p adaptation's
    /// cycles of solve and adapt, then solve; with an irreversible field, a
    /// solution under-resolved by the mesh is solved again from the state
    /// before the step on the adapted mesh (at most its redo limit), and a
    /// failed step is retried over halves (@p log gets one line per redo or
    /// retry). Throws if it still fails.
    void advance_quasi_static(double start, double time, const Adaptation &adaptation,
                              const std::function<void(const std::string &)> &log);
    /// One step of the transient field of @p dt (s) and BDF @p order with its
    /// partner, by the scheme of Coupling/Scheme (staggered or monolithic); on
    /// failure throws with the fields back at the start of the step.
    SolverReport advance_transient(double dt, unsigned int order);
    /// The quasi-static fields at the new @p time (s) after a transient step
    /// of @p dt (s), each published once final; on failure throws with the
    /// irreversible field back at its committed state.
    void solve_quasi_static_at(double time, double dt);
    /// Undoes the last transient step back to its start @p start (s).
    void undo_transient_step(double start);
    /// Solves the transient field's partners at @p time (s) and publishes them.
    void solve_partners(double time);
    /// Every quasi-static field publishes what others read of it (after a resume).
    void publish_quasi_static();

    /// The schemes' columns of the last step: coupling_iterations (staggered passes or monolithic Newton updates),
    /// staggered_iterations and step_cuts (fracture), mesh_redos (fracture on an adaptive mesh).
    void add_statistics(StatisticsTable &table) const;
    /// "<n> staggered it" with an irreversible field, else empty.
    std::string progress() const;

  private:
    /// Solves the quasi-static fields at @p time (s) in rank order: the
    /// fracture group by its scheme, the transient field's partners not.
    void solve_fields(double time);
    /// Solves @p field at @p time (s) (the deposit's eigenstrain too).
    void solve_at(Field<dim> &field, double time);
    /// One step of the transient field and its partner as one Newton system
    /// (Coupling/Scheme = monolithic); on failure throws with both back at the start.
    SolverReport advance_monolithic(double dt, unsigned int order);
    /// The fracture group at @p time (s), settled until the Li region stays; commits.
    void solve_fracture(double time);
    /// The alternate minimisation of the fracture group at @p time (s).
    void settle_fracture_group(double time);
    /// Runs @p solve with the fracture partners' dependence on the
    /// irreversible field frozen at the current state (the split of the stress).
    void while_frozen(const std::function<void()> &solve);
    /// The Li pressure of the pressurised filling at @p time (s) that
    /// balances its volume (Coupling/Pressure balance), with the pressure
    /// partners solved and published at it.
    void balance_pressure(double time);
    /// Solves the fracture partners at @p time (s): the pressure partners
    /// through the pressure balance if there is a filling.
    void solve_fracture_partners(double time);

    const CouplingParameters &coupling;
    DefectDeposit<dim>       &deposit;
    std::vector<Field<dim> *> quasi_static; ///< the fields that are not transient, in rank order
    TransientField<dim>      *transient    = nullptr;
    IrreversibleField<dim>   *irreversible = nullptr;
    std::vector<Field<dim> *> fracture_partners; ///< quasi-static fields the irreversible one reads
    std::vector<Field<dim> *> step_partners;     ///< quasi-static fields staggered with the transient one
    std::vector<Field<dim> *> deposit_readers;   ///< quasi-static fields that read the deposit's eigenstrain
    /// Quasi-static fields (not the irreversible one) that the Li filling
    /// loads or reads: solved at each trial pressure, in rank order.
    std::vector<Field<dim> *> pressure_partners;
    double                    step_length          = 0; ///< of the current quasi-static step (s)
    unsigned int              pressure_evaluations = 0; ///< of the last step's pressure balances
    /// dR/dp of the last pressure balance of this step (m^3/Pa in 3D, m^2/Pa
    /// in 2D; 0: none yet): the next one's first step is a Newton step with it.
    double       balance_slope        = 0;
    unsigned int staggered_iterations = 0; ///< fracture passes of the last step
    unsigned int coupling_iterations  = 0; ///< staggered passes or monolithic Newton updates of the last transient step
    unsigned int step_cuts            = 0; ///< halvings of the last quasi-static step
    unsigned int mesh_redos           = 0; ///< re-solves of the last quasi-static step on a finer mesh
    bool         redo_on_finer_mesh   = false; ///< quasi-static steps may be re-solved on a finer mesh
  };
} // namespace dendra

#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/base/time_stepping.h>

#include <deal.II/base/index_set.h>

#include <array>
#include <iosfwd>
#include <utility>
#include <vector>

namespace dendra
{
  /// The past states of an implicit BDF1 / variable-step BDF2 integrator:
  /// u^n, u^{n-1}, u^{n-2} (ghosted), the step sizes that made them, how many
  /// of them are usable (since the start or a restart), and the undo of the
  /// last accepted step. Shared by the transient fields.
  class BdfHistory
  {
  public:
    /// Makes @p state the only known state, stored with the ghost layout
    /// (@p owned, @p relevant, @p communicator): no usable history.
    void reset(const LA::MPI::Vector &state, const dealii::IndexSet &owned, const dealii::IndexSet &relevant,
               MPI_Comm communicator);
    /// Starts a step of @p dt (s) with BDF of @p order (1 without history):
    /// returns the coefficients and forms history_term().
    BDFCoefficients begin_step(double dt, unsigned int order);
    /// a1 u^n + a2 u^{n-1} of the step begun last (ghosted): the time
    /// derivative is (a0 u^{n+1} + history_term()) / dt.
    const LA::MPI::Vector &history_term() const { return combined; }
    /// u^n (@p k = 0), u^{n-1} (1) or u^{n-2} (2), ghosted.
    const LA::MPI::Vector &state(unsigned int k) const { return states[k]; }
    /// The step size of the step begun last (s).
    double step_size() const { return dt; }

    /// Accepts @p new_state (ghosted) as u^{n+1} of the step begun last.
    void accept(const LA::MPI::Vector &new_state);
    /// Undoes the last accept(); throws if there is none to undo.
    void reject();
    /// True if reject() can undo a step.
    bool can_reject() const { return undo_possible; }
    /// The current state becomes a restart point: later steps do not look
    /// back past it (BDF2 and error estimates), e.g. after a jump in the data.
    void forget() { valid = 0; }

    /// Milne-device estimate of the local truncation error of @p new_state,
    /// the solution of the step begun last: the largest difference to the
    /// polynomial extrapolation of the history over @p dofs (owned), scaled
    /// to the BDF error constant; returns {estimate, order}, or {-1, 0}
    /// without history.
    std::pair<double, unsigned int> local_error_estimate(const LA::MPI::Vector &new_state, const dealii::IndexSet &dofs,
                                                         unsigned int order, MPI_Comm communicator) const;

    /// The three states, for a SolutionTransfer across a mesh change.
    std::vector<const LA::MPI::Vector *> states_to_transfer() const;
    /// Installs the transferred states (owned, in the order of
    /// states_to_transfer(); the first three of @p transferred) with the new
    /// ghost layout; keeps the step sizes; the last step can no longer be rejected.
    void restore_transferred(const std::vector<LA::MPI::Vector> &transferred, const dealii::IndexSet &owned,
                             const dealii::IndexSet &relevant, MPI_Comm communicator);

    /// Writes the step sizes and the number of usable steps (the states go
    /// through states_to_transfer()) for a checkpoint.
    void save(std::ostream &out) const;
    /// Reads what save() wrote.
    void load(std::istream &in);

  private:
    std::array<LA::MPI::Vector, 3> states;          ///< u^n, u^{n-1}, u^{n-2}
    LA::MPI::Vector                combined;        ///< a1 u^n + a2 u^{n-1}
    std::array<double, 2>          past_dt{{0, 0}}; ///< the steps that made u^n and u^{n-1} (s)
    unsigned int                   valid = 0;       ///< usable past steps (0..2)
    double                         dt    = 0;       ///< the step begun last (s)
    // The ghost layout of the states (p4est may repartition a mesh without
    // changing the number of DoFs, so copies must not rely on sizes).
    dealii::IndexSet owned, relevant;
    MPI_Comm         communicator = MPI_COMM_SELF;
    // What reject() restores.
    LA::MPI::Vector       undo_oldest;
    std::array<double, 2> undo_past_dt{{0, 0}};
    unsigned int          undo_valid    = 0;
    bool                  undo_possible = false;
  };
} // namespace dendra

#pragma once

#include <dendra/fields/field.h>

namespace dendra
{
  /// A quasi-static field whose state may only grow (damage): solved by the
  /// fracture scheme (alternate minimisation with the fields it reads, step
  /// halving), which commits it after every converged step or resets it to
  /// the committed state after a failed one.
  template <int dim>
  class IrreversibleField : public Field<dim>
  {
  public:
    using Field<dim>::Field;

    /// The size of the load or time step now being solved (s); rate terms use it.
    virtual void set_time_step(double dt) = 0;
    /// The current state becomes the lower bound of later ones.
    virtual void commit() = 0;
    /// Back to the committed state (after a failed step).
    virtual void reset() = 0;
    /// Back to the state committed before the last commit(), which bounds
    /// the state again: the last step is solved again (on a refined mesh).
    virtual void undo_commit() = 0;
  };
} // namespace dendra

#pragma once

#include <dendra/base/solvers.h>
#include <dendra/coupling/bdf_history.h>
#include <dendra/fields/field.h>

#include <deal.II/distributed/solution_transfer.h>

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace dendra
{
  /// A field that evolves in time by implicit steps that can be rejected and
  /// retried (Transport, Electrodeposition): what the Simulator's time loop
  /// needs besides the Field lifecycle.
  template <int dim>
  class TransientField : public Field<dim>
  {
  public:
    using Field<dim>::Field;

    /// One implicit step from the current time to time + @p dt (s), BDF of
    /// @p order; returns the Newton (and linear) iterations. Throws
    /// std::runtime_error if the nonlinear solve fails; the state is then unchanged.
    virtual SolverReport advance(double dt, unsigned int order) = 0;
    /// Undoes the last advance().
    virtual void reject_step() = 0;
    /// The current state becomes a restart point (BDF1 next, no extrapolation across it).
    virtual void forget_history() = 0;
    /// Local error estimate of the last step (-) and its order; {-1, 0} if none.
    virtual std::pair<double, unsigned int> local_error_estimate() const = 0;
    /// The time of the current state (s).
    double current_time() const { return this->time; }
    /// Not used by transient fields: they advance().
    SolverReport solve() override
    {
      throw std::logic_error("a transient field is advanced in time: call advance(dt, order)");
    }

  protected:
    /// Stores the three states of @p history, and the ghosted vectors
    /// @p others of the same DoFs, before the mesh changes.
    void prepare_history_transfer(const BdfHistory &history, const std::vector<const LA::MPI::Vector *> &others = {})
    {
      auto vectors = history.states_to_transfer();
      vectors.insert(vectors.end(), others.begin(), others.end());
      n_transferred = vectors.size();
      history_transfer =
        std::make_unique<dealii::parallel::distributed::SolutionTransfer<dim, LA::MPI::Vector>>(this->dofs);
      history_transfer->prepare_for_coarsening_and_refinement(vectors);
    }
    /// The stored vectors on the new mesh, the history's three states first
    /// (owned vectors, constraints not yet applied); call after setup of the new DoFs.
    std::vector<LA::MPI::Vector> finish_history_transfer()
    {
      std::vector<LA::MPI::Vector>   states(n_transferred);
      std::vector<LA::MPI::Vector *> pointers;
      for (auto &s : states)
        {
          s.reinit(this->locally_owned, this->communicator);
          pointers.push_back(&s);
        }
      history_transfer->interpolate(pointers);
      history_transfer.reset();
      return states;
    }

  private:
    std::unique_ptr<dealii::parallel::distributed::SolutionTransfer<dim, LA::MPI::Vector>> history_transfer;
    std::size_t n_transferred = 0; ///< vectors in history_transfer
  };
} // namespace dendra

#pragma once

#include <dendra/core/checkpoint.h>
#include <dendra/coupling/defect_deposit.h>
#include <dendra/coupling/run_output.h>
#include <dendra/coupling/time_loop.h>
#include <dendra/fields/field.h>

#include <deal.II/distributed/tria.h>

#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// The checkpoint of a run (subsection Checkpoint, ASPECT's
  /// checkpoint_restart): the mesh with every field's vectors (Checkpointer)
  /// and the run's scalar state: where the time loop stands, the failure
  /// time, each field's and the deposit's state and the output so far.
  /// Written every Interval steps and when SIGTERM or SIGINT asked for it;
  /// read back by --resume.
  template <int dim>
  class RunCheckpoint
  {
  public:
    /// The checkpoint of the run with @p parameters that writes @p output, of
    /// @p fields on @p triangulation and @p deposit.
    RunCheckpoint(const CheckpointParameters &parameters, RunOutput<dim> &output, MPI_Comm communicator,
                  dealii::parallel::distributed::Triangulation<dim> &triangulation,
                  const std::vector<std::unique_ptr<Field<dim>>> &fields, DefectDeposit<dim> &deposit);

    /// Writes a checkpoint after @p loop (with the run's @p time_of_failure,
    /// s) if one is due or a signal asked for one; then throws
    /// TerminatedBySignal if a signal did.
    void write_if_due(const LoopState &loop, double time_of_failure) const;
    /// Reads the run's state @p text of a loaded checkpoint into the fields
    /// (set up on the loaded mesh), the deposit and the output, and the
    /// fields' vectors; returns where the loop stood and sets @p time_of_failure (s).
    LoopState restore(const std::string &text, double &time_of_failure) const;

  private:
    /// Writes a checkpoint after @p loop.
    void write(const LoopState &loop, double time_of_failure) const;

    const CheckpointParameters                        &parameters;
    RunOutput<dim>                                    &output;
    MPI_Comm                                           communicator;
    dealii::parallel::distributed::Triangulation<dim> &triangulation;
    const std::vector<std::unique_ptr<Field<dim>>>    &fields;
    DefectDeposit<dim>                                &deposit;
  };
} // namespace dendra

#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>

#include <functional>
#include <mpi.h>
#include <stdexcept>
#include <string>

namespace dendra
{
  /// Subsection "Checkpoint": how often a run saves itself, and whether it resumes.
  struct CheckpointParameters
  {
    unsigned int interval = 0;     ///< steps between checkpoints (-); 0: none (but on SIGTERM/SIGINT)
    bool         resume   = false; ///< continue from the last checkpoint in the output directory

    /// Declares subsection "Checkpoint".
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads subsection "Checkpoint".
    void parse_parameters(dealii::ParameterHandler &prm);
  };

  /// The checkpoints of one run in <output>/checkpoint/: the p4est mesh with
  /// every field's state attached (Triangulation::save) and the run's own
  /// state as text (rank 0). A new checkpoint is written completely into
  /// checkpoint.new/ and then renamed into place, so the last complete
  /// checkpoint always survives an interruption.
  class Checkpointer
  {
  public:
    /// Checkpoints of the run writing to @p output_directory.
    Checkpointer(const std::string &output_directory, MPI_Comm communicator);

    /// Writes a checkpoint: @p attach_fields attaches every field's state to
    /// @p tria (Field::prepare_for_serialization()), @p run_state is the
    /// run's own state. Collective.
    template <int dim>
    void save(dealii::parallel::distributed::Triangulation<dim> &tria, const std::function<void()> &attach_fields,
              const std::string &run_state) const;
    /// True if a complete checkpoint exists (on every rank's view).
    bool exists() const;
    /// Loads the mesh of the last checkpoint into @p tria (which holds the
    /// coarse mesh) and returns the run's state; the fields then deserialize.
    /// InputError naming the directory if there is none. Collective.
    template <int dim>
    std::string load(dealii::parallel::distributed::Triangulation<dim> &tria) const;
    /// The directory of the last complete checkpoint.
    std::string directory() const;

  private:
    std::string output_directory;
    MPI_Comm    communicator;
  };

  /// Thrown by a run that stopped on SIGTERM or SIGINT after writing a
  /// checkpoint; applications exit with 128 + signal.
  class TerminatedBySignal : public std::runtime_error
  {
  public:
    /// @p signal_number and the one-line @p message.
    TerminatedBySignal(int signal_number, const std::string &message);
    /// The signal (SIGTERM = 15, SIGINT = 2).
    int signal_number() const { return number; }

  private:
    int number;
  };

  /// Call before MPI is initialised: keeps Open MPI's file I/O off its
  /// shared-memory file-pointer component, whose named semaphore (one per
  /// file name, such as the checkpoint's "mesh_fixed.data", for every job on
  /// the node) stays locked when a process is killed while writing, so that
  /// every later checkpoint on that node would hang. An explicit
  /// OMPI_MCA_sharedfp in the environment wins.
  void avoid_shared_memory_file_locks();
  /// Makes SIGTERM and SIGINT set a flag instead of ending the process, so a
  /// run can checkpoint at the end of its step.
  void catch_termination_signals();
  /// The signal that asked this rank or any other in @p communicator to stop, or 0. Collective.
  int termination_requested(MPI_Comm communicator);
} // namespace dendra

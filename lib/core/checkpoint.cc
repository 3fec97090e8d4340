#include <dendra/base/exceptions.h>
#include <dendra/core/checkpoint.h>

#include <deal.II/base/mpi.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  void avoid_shared_memory_file_locks()
  {
    // Checkpoints write at explicit offsets: no shared file pointer is used.
    setenv("OMPI_MCA_sharedfp", "^sm", 0);
  }

  void CheckpointParameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Checkpoint");
    prm.declare_entry("Interval", "0", Patterns::Integer(0),
                      "Steps between checkpoints in <Output directory>/checkpoint/ (-); 0: none. A run also "
                      "writes one when it gets SIGTERM or SIGINT, at the end of its step, and then exits with "
                      "128 + the signal (143 for SIGTERM, 130 for SIGINT). A checkpoint holds the mesh, every field "
                      "with its BDF history, the time step and the statistics so far.");
    prm.declare_entry("Resume", "false", Patterns::Bool(),
                      "Continue from the last checkpoint in the output directory (the command-line flag "
                      "--resume sets it); the output written up to that checkpoint is kept.");
    prm.leave_subsection();
  }

  void CheckpointParameters::parse_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Checkpoint");
    interval = prm.get_integer("Interval");
    resume   = prm.get_bool("Resume");
    prm.leave_subsection();
  }

  namespace
  {
    const char *mesh_file  = "mesh";
    const char *state_file = "run_state.txt";
  } // namespace

  Checkpointer::Checkpointer(const std::string &output_directory, MPI_Comm communicator)
    : output_directory(output_directory)
    , communicator(communicator)
  {}

  std::string Checkpointer::directory() const
  {
    return output_directory + "/checkpoint";
  }

  template <int dim>
  void Checkpointer::save(parallel::distributed::Triangulation<dim> &tria, const std::function<void()> &attach_fields,
                          const std::string &run_state) const
  {
    namespace fs             = std::filesystem;
    const std::string target = directory(), fresh = target + ".new", old = target + ".old";
    const bool        root = Utilities::MPI::this_mpi_process(communicator) == 0;
    if (root)
      {
        fs::remove_all(fresh);
        fs::create_directories(fresh);
      }
    MPI_Barrier(communicator);
    attach_fields();
    tria.save(fresh + "/" + mesh_file);
    bool written = true;
    if (root)
      {
        std::ofstream out(fresh + "/" + state_file);
        out << run_state;
        out.close();
        written = static_cast<bool>(out);
      }
    const bool failed = Utilities::MPI::logical_or(!written, communicator);
    AssertThrow(!failed, ExcMessage("cannot write the checkpoint in " + fresh));
    MPI_Barrier(communicator); // every rank's part of the mesh is on disk
    if (root)
      {
        // The previous checkpoint stays until the new one is in place.
        fs::remove_all(old);
        if (fs::exists(target))
          fs::rename(target, old);
        fs::rename(fresh, target);
        fs::remove_all(old);
      }
    MPI_Barrier(communicator);
  }

  bool Checkpointer::exists() const
  {
    namespace fs    = std::filesystem;
    const bool here = fs::exists(directory() + "/" + state_file) || fs::exists(directory() + ".old/" + state_file);
    return Utilities::MPI::logical_or(here, communicator);
  }

  template <int dim>
  std::string Checkpointer::load(parallel::distributed::Triangulation<dim> &tria) const
  {
    namespace fs = std::filesystem;
    // Interrupted between the two renames of save(): the old one is complete.
    std::string from = directory();
    if (!fs::exists(from + "/" + state_file) && fs::exists(from + ".old/" + state_file))
      from += ".old";
    require_input(fs::exists(from + "/" + state_file),
                  "--resume: no checkpoint in " + directory() + " (set Checkpoint/Interval to write them)");
    tria.load(from + "/" + mesh_file);
    std::ifstream      in(from + "/" + state_file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  TerminatedBySignal::TerminatedBySignal(const int signal_number, const std::string &message)
    : std::runtime_error(message)
    , number(signal_number)
  {}

  namespace
  {
    volatile std::sig_atomic_t requested_signal = 0;
    extern "C" void            remember_signal(const int number)
    {
      requested_signal = number;
    }
  } // namespace

  void catch_termination_signals()
  {
    std::signal(SIGTERM, remember_signal);
    std::signal(SIGINT, remember_signal);
  }

  int termination_requested(MPI_Comm communicator)
  {
    return Utilities::MPI::max(static_cast<int>(requested_signal), communicator);
  }

  template void        Checkpointer::save(parallel::distributed::Triangulation<2> &, const std::function<void()> &,
                                          const std::string &) const;
  template void        Checkpointer::save(parallel::distributed::Triangulation<3> &, const std::function<void()> &,
                                          const std::string &) const;
  template std::string Checkpointer::load(parallel::distributed::Triangulation<2> &) const;
  template std::string Checkpointer::load(parallel::distributed::Triangulation<3> &) const;
} // namespace dendra

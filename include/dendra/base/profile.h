#pragma once

#include <mpi.h>
#include <string>

namespace dendra
{
  /// The wall-clock profile of a run (Postprocess/Timing): named sections,
  /// timed by deal.II's TimerOutput, that the coupling schemes, the fields
  /// and the linear solvers enter. One profile per process at a time; while
  /// none runs, a Section costs the construction of its name.
  namespace profile
  {
    /// Starts a new profile of the run on @p communicator (sections entered
    /// before are forgotten).
    void start(MPI_Comm communicator);
    /// True while a profile runs.
    bool running();
    /// Ends the profile and returns its table (rank 0's wall times per
    /// section (s), calls and share of the run; nested sections are counted
    /// in their parents too); empty if none runs and on other ranks.
    std::string finish();

    /// A section of the running profile, timed from construction to
    /// destruction; nothing if no profile runs (or if the profile it entered
    /// has ended meanwhile). A section must not be entered again inside itself.
    class Section
    {
    public:
      /// Enters the section @p name (e.g. "assembly: elasticity").
      explicit Section(const std::string &name);
      /// Leaves it.
      ~Section();
      Section(const Section &)            = delete;
      Section &operator=(const Section &) = delete;

    private:
      std::string  name;           ///< empty if no profile ran at construction
      unsigned int profile_id = 0; ///< which profile it entered (start() counts them)
    };
  } // namespace profile
} // namespace dendra

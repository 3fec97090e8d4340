#include <dendra/base/profile.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <memory>
#include <sstream>

namespace dendra
{
  namespace profile
  {
    namespace
    {
      /// The running profile: its table goes to a string, not a stream.
      struct Profile
      {
        std::ostringstream  table;
        dealii::TimerOutput timer;
        bool                on_rank_0;

        explicit Profile(MPI_Comm communicator)
          // Rank-local wall times, without the barriers of TimerOutput's MPI
          // constructor: a section entered on some ranks only cannot hang.
          : timer(table, dealii::TimerOutput::never, dealii::TimerOutput::wall_times)
          , on_rank_0(dealii::Utilities::MPI::this_mpi_process(communicator) == 0)
        {}
      };

      std::unique_ptr<Profile> &current()
      {
        static std::unique_ptr<Profile> profile;
        return profile;
      }

      /// Counts the profiles started, so that a section leaves only its own.
      unsigned int &current_id()
      {
        static unsigned int id = 0;
        return id;
      }
    } // namespace

    void start(const MPI_Comm communicator)
    {
      current() = std::make_unique<Profile>(communicator);
      ++current_id();
    }

    bool running()
    {
      return current() != nullptr;
    }

    std::string finish()
    {
      std::unique_ptr<Profile> profile = std::move(current());
      if (!profile || !profile->on_rank_0)
        return "";
      profile->timer.print_summary();
      return profile->table.str();
    }

    Section::Section(const std::string &section)
    {
      if (current())
        {
          name       = section;
          profile_id = current_id();
          current()->timer.enter_subsection(name);
        }
    }

    Section::~Section()
    {
      // Its profile may have ended, and another started, while it lived.
      if (!name.empty() && current() && profile_id == current_id())
        current()->timer.leave_subsection(name);
    }
  } // namespace profile
} // namespace dendra

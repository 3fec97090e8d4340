#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/core/current_program.h>

#include <deal.II/base/utilities.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  void CurrentProgram::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Current program");
    prm.declare_entry("Steps", "plate 10 3600", Patterns::Anything(),
                      "One cycle as 'plate J T; strip J T; rest T': current density magnitude J (A/m^2) "
                      "and duration T (s) of each step.");
    prm.declare_entry("Number of cycles", "1", Patterns::Integer(1), "How often the cycle repeats (-).");
    prm.declare_entry("Working electrode", "", Patterns::Anything(),
                      "Boundary (id or name) whose current density follows the program; empty: no program. "
                      "Transport runs: an electrode; deposition runs: the collector under the metal, which becomes "
                      "insulating with a floating potential (electrode_potential, cell_voltage) while the current "
                      "enters through the one Reservoir.");
    prm.declare_entry("Control", "galvanostatic", Patterns::Selection("galvanostatic|current density"),
                      "galvanostatic: the total current (J times the electrode area) is imposed and the electrode "
                      "potential is an unknown (Butler-Volmer kinetics); current density: J is imposed uniformly.");
    prm.leave_subsection();
  }

  void CurrentProgram::parse_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Current program");
    const std::string  steps  = prm.get("Steps");
    const unsigned int cycles = prm.get_integer("Number of cycles");
    working_electrode_name    = Utilities::trim(prm.get("Working electrode"));
    total_current_control     = prm.get("Control") == "galvanostatic";
    prm.leave_subsection();
    set(steps, cycles);
  }

  void CurrentProgram::set(const std::string &text, const unsigned int cycles)
  {
    const std::string where = "Current program/Steps: ";
    cycle.clear();
    n_cycles = cycles;
    for (const auto &piece : split_top_level(text, ';'))
      {
        if (piece.empty())
          continue;
        std::istringstream       in(piece);
        std::vector<std::string> words;
        for (std::string w; in >> w;)
          words.push_back(w);
        const auto number = [&](const std::string &w) {
          try
            {
              return Utilities::string_to_double(w);
            }
          catch (...)
            {
              throw InputError(where + "'" + w + "' in '" + piece + "' is not a number");
            }
        };
        Step step{};
        if (words[0] == "rest")
          {
            require_input(words.size() == 2, where + "'" + piece + "' must read 'rest T'");
            step = {Step::Kind::rest, 0.0, number(words[1])};
          }
        else
          {
            require_input((words[0] == "plate" || words[0] == "strip") && words.size() == 3,
                          where + "'" + piece + "' must read 'plate J T', 'strip J T' or 'rest T'");
            step = {words[0] == "plate" ? Step::Kind::plate : Step::Kind::strip, number(words[1]), number(words[2])};
            require_input(step.current_density >= 0,
                          where + "current density in '" + piece + "' must be >= 0 (the kind sets the sign)");
          }
        require_input(step.duration > 0, where + "duration in '" + piece + "' must be > 0 s");
        cycle.push_back(step);
      }
    require_input(!cycle.empty(), where + "no steps given");
  }

  double CurrentProgram::duration() const
  {
    double one = 0;
    for (const auto &s : cycle)
      one += s.duration;
    return one * n_cycles;
  }

  namespace
  {
    double signed_current(const CurrentProgram::Step &s)
    {
      return s.kind == CurrentProgram::Step::Kind::plate   ? -s.current_density
             : s.kind == CurrentProgram::Step::Kind::strip ? s.current_density
                                                           : 0.0;
    }
  } // namespace

  double CurrentProgram::current_density(const double t) const
  {
    double start = 0;
    for (unsigned int c = 0; c < n_cycles; ++c)
      for (const auto &s : cycle)
        {
          if (t < start + s.duration)
            return t < start ? 0.0 : signed_current(s);
          start += s.duration;
        }
    return 0.0;
  }

  double CurrentProgram::current_density_before(const double t) const
  {
    double start = 0;
    for (unsigned int c = 0; c < n_cycles; ++c)
      for (const auto &s : cycle)
        {
          if (t <= start + s.duration)
            return t <= start ? 0.0 : signed_current(s);
          start += s.duration;
        }
    return 0.0;
  }

  double CurrentProgram::next_change(const double t) const
  {
    double end = 0;
    for (unsigned int c = 0; c < n_cycles; ++c)
      for (const auto &s : cycle)
        {
          end += s.duration;
          if (end > t * (1 + 1e-14) + 1e-300)
            return end;
        }
    return std::numeric_limits<double>::infinity();
  }

  double CurrentProgram::charge(const double t) const
  {
    double q = 0, start = 0;
    for (unsigned int c = 0; c < n_cycles; ++c)
      for (const auto &s : cycle)
        {
          if (t <= start)
            return q;
          q += signed_current(s) * (std::min(t, start + s.duration) - start);
          start += s.duration;
        }
    return q;
  }
} // namespace dendra

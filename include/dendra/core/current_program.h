#pragma once

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace dendra
{
  /// A galvanostatic program: piecewise-constant plate / strip / rest steps,
  /// repeated for a number of cycles (subsection "Current program"). Current
  /// densities follow the kinetics convention: plating is cathodic (< 0).
  class CurrentProgram
  {
  public:
    /// One piece of the program.
    struct Step
    {
      enum class Kind
      {
        plate,
        strip,
        rest
      };
      Kind   kind;
      double current_density; ///< magnitude (A/m^2), >= 0
      double duration;        ///< (s), > 0
    };

    /// Declares subsection "Current program".
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads subsection "Current program"; InputError on malformed steps.
    void parse_parameters(dealii::ParameterHandler &prm);
    /// Sets the program from text "plate J T; strip J T; rest T" and a cycle count.
    void set(const std::string &steps, unsigned int n_cycles);

    /// Current density of the working electrode at time @p t (A/m^2):
    /// -J while plating, +J while stripping, 0 at rest and after the end.
    double current_density(double t) const;
    /// The current density on the interval that ends at @p t (left limit):
    /// what an implicit step that ends at t applies.
    double current_density_before(double t) const;
    /// The boundary (id or name) whose current density follows the program; empty = none.
    const std::string &working_electrode() const { return working_electrode_name; }
    /// True: the total current is imposed and the electrode potential is an
    /// unknown (galvanostatic); false: a uniform current density is imposed.
    bool galvanostatic() const { return total_current_control; }
    /// The first time after @p t at which the current changes (s); time steps land on it.
    double next_change(double t) const;
    /// Charge passed through the working electrode until @p t, integral of i dt (C/m^2).
    double charge(double t) const;
    /// Length of the whole program (s).
    double duration() const;
    /// The steps of one cycle.
    const std::vector<Step> &steps() const { return cycle; }

  private:
    std::vector<Step> cycle;
    unsigned int      n_cycles = 1;
    std::string       working_electrode_name;
    bool              total_current_control = true;
  };

  /// The working electrode's current density of a CurrentProgram (A/m^2)
  /// times a factor @p scale (an area for a total current, m^2 or m; 1 for the
  /// density itself; a ratio of areas), as a boundary-data function. It
  /// applies the left limit at the function's time, which is what an implicit
  /// step ending there needs.
  template <int dim>
  class ProgramCurrent : public dealii::Function<dim>
  {
  public:
    /// The current of @p program (which must outlive this object) times @p scale.
    ProgramCurrent(const CurrentProgram &program, const double scale)
      : scale(scale)
      , program(program)
    {}
    /// scale times the program's current density before the function's time.
    double value(const dealii::Point<dim> &, const unsigned int = 0) const override
    {
      return scale * program.current_density_before(this->get_time());
    }
    double scale; ///< set once the mesh exists (areas)

  private:
    const CurrentProgram &program;
  };
} // namespace dendra

#pragma once

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>
#include <deal.II/base/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// Reads a .prm file into @p prm; unknown entries, malformed values and a
  /// missing file become an InputError naming the file, line and parameter.
  void read_parameter_file(dealii::ParameterHandler &prm, const std::string &file_name);

  /// Reads parameters from a string (same checks as read_parameter_file()).
  void read_parameter_string(dealii::ParameterHandler &prm, const std::string &text);

  /// Applies one command-line override 'Subsection/.../Entry=value' to @p prm;
  /// InputError naming the entry if it does not exist or the value is invalid.
  void set_parameter(dealii::ParameterHandler &prm, const std::string &assignment);

  /// Splits @p text at @p separator where it is not inside parentheses; trims each piece.
  std::vector<std::string> split_top_level(const std::string &text, char separator);

  /// Boundary names of a geometry ("electrode bottom", "x min", ...) to ids.
  using BoundaryNames = std::map<std::string, dealii::types::boundary_id>;

  /// Parses "key: expr[, expr...]; key: ..." where a key is a boundary id or
  /// a name from @p names; @p parameter names the entry in error messages.
  std::map<dealii::types::boundary_id, std::vector<std::string>>
  parse_boundary_map(const std::string &text, const std::string &parameter, const BoundaryNames &names = {});

  /// Like parse_boundary_map(), but makes one function per boundary with
  /// @p n_components components; a single expression is used for all of them.
  template <int dim>
  std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>>
  parse_boundary_functions(const std::string &text, unsigned int n_components, const std::string &parameter,
                           const BoundaryNames &names);

  /// A function of (x, y[, z], t) from expressions, one per component; the
  /// constant pi is available. Errors name @p parameter.
  template <int dim>
  std::shared_ptr<dealii::Function<dim>> parse_function(const std::vector<std::string> &expressions,
                                                        const std::string              &parameter);

  /// Parses "x, y[, z]; x, y[, z]; ..." into points (coordinates in m).
  template <int dim>
  std::vector<dealii::Point<dim>> parse_points(const std::string &text, const std::string &parameter);

  /// Parses a comma-separated list of exactly dim numbers.
  template <int dim>
  dealii::Point<dim> parse_point(const std::string &text, const std::string &parameter);

  /// Formats a number compactly for messages (e.g. "1.5e-06").
  std::string format_number(double value);

  /// InputError "<where><name> = <value>[ <unit>] must be > 0" for the first
  /// of the named @p values that is not positive.
  void require_positive(const std::string &where, const std::vector<std::pair<std::string, double>> &values,
                        const std::string &unit = "");

  /// Declares @p name as an entry that has moved to @p new_location (e.g.
  /// "Materials/LLZO/Ionic conductivity"): empty by default, and an
  /// InputError naming the new location if set (see check_moved_entry()).
  void declare_moved_entry(dealii::ParameterHandler &prm, const std::string &name, const std::string &new_location);

  /// InputError "<where><name> has moved to <new_location>" if the moved
  /// entry @p name of the current subsection was set.
  void check_moved_entry(const dealii::ParameterHandler &prm, const std::string &name, const std::string &where,
                         const std::string &new_location);

  /// Parses an ordered list 'name: number; name: number; ...' (empty text: none);
  /// InputError naming @p parameter on a malformed entry or number.
  std::vector<std::pair<std::string, double>> parse_named_values(const std::string &text, const std::string &parameter);
} // namespace dendra

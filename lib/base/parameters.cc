#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>

#include <deal.II/base/function_parser.h>
#include <deal.II/base/utilities.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  void read_parameter_file(ParameterHandler &prm, const std::string &file_name)
  {
    std::ifstream in(file_name);
    require_input(static_cast<bool>(in), "cannot open parameter file '" + file_name + "'");
    try
      {
        prm.parse_input(in, file_name, "", /*skip_undefined=*/false);
      }
    catch (const ExceptionBase &e)
      {
        throw InputError(one_line_message(e));
      }
  }

  void read_parameter_string(ParameterHandler &prm, const std::string &text)
  {
    try
      {
        prm.parse_input_from_string(text, "input string", false);
      }
    catch (const ExceptionBase &e)
      {
        throw InputError(one_line_message(e));
      }
  }

  void set_parameter(ParameterHandler &prm, const std::string &assignment)
  {
    const auto equals = assignment.find('=');
    require_input(equals != std::string::npos && equals > 0,
                  "--set '" + assignment + "': expected 'Subsection/.../Entry=value'");
    const std::string        path  = Utilities::trim(assignment.substr(0, equals));
    const std::string        value = Utilities::trim(assignment.substr(equals + 1));
    std::vector<std::string> parts = Utilities::split_string_list(path, '/');
    std::string              text;
    for (unsigned int k = 0; k + 1 < parts.size(); ++k)
      text += "subsection " + parts[k] + "\n";
    text += "set " + parts.back() + " = " + value + "\n";
    for (unsigned int k = 0; k + 1 < parts.size(); ++k)
      text += "end\n";
    try
      {
        prm.parse_input_from_string(text, "--set", /*skip_undefined=*/false);
      }
    catch (const ExceptionBase &e)
      {
        throw InputError("--set '" + assignment + "': " + one_line_message(e));
      }
  }

  std::vector<std::string> split_top_level(const std::string &text, const char separator)
  {
    std::vector<std::string> pieces;
    std::string              current;
    int                      depth = 0;
    for (const char c : text)
      {
        depth += (c == '(') - (c == ')');
        if (c == separator && depth == 0)
          {
            pieces.push_back(Utilities::trim(current));
            current.clear();
          }
        else
          current += c;
      }
    pieces.push_back(Utilities::trim(current));
    return pieces;
  }

  std::map<types::boundary_id, std::vector<std::string>>
  parse_boundary_map(const std::string &text, const std::string &parameter, const BoundaryNames &names)
  {
    std::map<types::boundary_id, std::vector<std::string>> result;
    if (Utilities::trim(text).empty())
      return result;
    for (const auto &entry : split_top_level(text, ';'))
      {
        if (entry.empty())
          continue;
        const auto colon = entry.find(':');
        require_input(colon != std::string::npos, parameter + ": entry '" + entry + "' must read 'boundary id: value'");
        const std::string id_text = Utilities::trim(entry.substr(0, colon));
        int               id      = -1;
        if (names.count(id_text))
          id = names.at(id_text);
        else
          {
            try
              {
                id = Utilities::string_to_int(id_text);
              }
            catch (...)
              {}
            std::string known;
            for (const auto &[name, i] : names)
              known += (known.empty() ? " or one of: " : ", ") + name;
            require_input(id >= 0 && id < 255 && std::to_string(id) == id_text,
                          parameter + ": '" + id_text + "' is not a boundary id (0..254)" + known);
          }
        require_input(result.count(id) == 0, parameter + ": boundary id " + id_text + " appears twice");
        result[id] = split_top_level(entry.substr(colon + 1), ',');
      }
    return result;
  }

  template <int dim>
  std::shared_ptr<Function<dim>> parse_function(const std::vector<std::string> &expressions,
                                                const std::string              &parameter)
  {
    const std::string variables = (dim == 2 ? "x,y,t" : "x,y,z,t");
    auto              function  = std::make_shared<FunctionParser<dim>>(expressions.size());
    // deal.II prints muparser's diagnostics to std::cerr before it throws;
    // keep them for the one-line message instead.
    std::ostringstream diagnostics;
    std::streambuf    *cerr_buffer = std::cerr.rdbuf(diagnostics.rdbuf());
    try
      {
        function->initialize(variables, expressions, {{"pi", numbers::PI}}, /*time_dependent=*/true);
        // muparser reports some errors only on the first evaluation.
        for (unsigned int c = 0; c < expressions.size(); ++c)
          function->value(Point<dim>(), c);
        std::cerr.rdbuf(cerr_buffer);
      }
    catch (const std::exception &e)
      {
        std::cerr.rdbuf(cerr_buffer);
        std::string joined;
        for (const auto &s : expressions)
          joined += (joined.empty() ? "" : ", ") + s;
        throw InputError(parameter + ": cannot evaluate '" + joined + "' as a function of " + variables + " (" +
                         one_line_message(e) + ")");
      }
    return function;
  }

  template <int dim>
  std::map<types::boundary_id, std::shared_ptr<Function<dim>>>
  parse_boundary_functions(const std::string &text, const unsigned int n_components, const std::string &parameter,
                           const BoundaryNames &names)
  {
    std::map<types::boundary_id, std::shared_ptr<Function<dim>>> result;
    for (auto [id, expressions] : parse_boundary_map(text, parameter, names))
      {
        if (expressions.size() == 1 && n_components > 1)
          expressions.resize(n_components, expressions[0]);
        require_input(expressions.size() == n_components, parameter + ": boundary " + std::to_string(id) + " needs " +
                                                            std::to_string(n_components) + " value(s), got " +
                                                            std::to_string(expressions.size()));
        result[id] = parse_function<dim>(expressions, parameter);
      }
    return result;
  }

  template <int dim>
  Point<dim> parse_point(const std::string &text, const std::string &parameter)
  {
    const auto coordinates = split_top_level(text, ',');
    require_input(coordinates.size() == dim,
                  parameter + ": '" + text + "' must have " + std::to_string(dim) + " coordinates");
    Point<dim> p;
    for (unsigned int d = 0; d < dim; ++d)
      {
        try
          {
            p[d] = Utilities::string_to_double(coordinates[d]);
          }
        catch (...)
          {
            throw InputError(parameter + ": '" + coordinates[d] + "' is not a number");
          }
      }
    return p;
  }

  template <int dim>
  std::vector<Point<dim>> parse_points(const std::string &text, const std::string &parameter)
  {
    std::vector<Point<dim>> points;
    if (Utilities::trim(text).empty())
      return points;
    for (const auto &piece : split_top_level(text, ';'))
      if (!piece.empty())
        points.push_back(parse_point<dim>(piece, parameter));
    return points;
  }

  std::string format_number(const double value)
  {
    std::ostringstream out;
    out << value;
    return out.str();
  }

  void require_positive(const std::string &where, const std::vector<std::pair<std::string, double>> &values,
                        const std::string &unit)
  {
    for (const auto &[name, value] : values)
      require_input(value > 0,
                    where + name + " = " + format_number(value) + (unit.empty() ? "" : " " + unit) + " must be > 0");
  }

  template std::shared_ptr<Function<2>> parse_function<2>(const std::vector<std::string> &, const std::string &);
  template std::shared_ptr<Function<3>> parse_function<3>(const std::vector<std::string> &, const std::string &);
  template std::map<types::boundary_id, std::shared_ptr<Function<2>>>
  parse_boundary_functions<2>(const std::string &, unsigned int, const std::string &, const BoundaryNames &);
  template std::map<types::boundary_id, std::shared_ptr<Function<3>>>
  parse_boundary_functions<3>(const std::string &, unsigned int, const std::string &, const BoundaryNames &);
  template Point<2>              parse_point<2>(const std::string &, const std::string &);
  template Point<3>              parse_point<3>(const std::string &, const std::string &);
  template std::vector<Point<2>> parse_points<2>(const std::string &, const std::string &);
  template std::vector<Point<3>> parse_points<3>(const std::string &, const std::string &);
  void declare_moved_entry(ParameterHandler &prm, const std::string &name, const std::string &new_location)
  {
    prm.declare_entry(name, "", Patterns::Anything(), "Moved to " + new_location + ": set it there.");
  }

  void check_moved_entry(const ParameterHandler &prm, const std::string &name, const std::string &where,
                         const std::string &new_location)
  {
    require_input(prm.get(name).empty(), where + name + " has moved to " + new_location + ": set it there");
  }

  std::vector<std::pair<std::string, double>> parse_named_values(const std::string &text, const std::string &parameter)
  {
    std::vector<std::pair<std::string, double>> result;
    for (const auto &entry : split_top_level(text, ';'))
      {
        if (entry.empty())
          continue;
        const auto colon = entry.find(':');
        require_input(colon != std::string::npos, parameter + ": entry '" + entry + "' must read 'name: number'");
        const std::string name   = Utilities::trim(entry.substr(0, colon)),
                          number = Utilities::trim(entry.substr(colon + 1));
        try
          {
            std::size_t  used  = 0;
            const double value = std::stod(number, &used);
            require_input(used == number.size(), "");
            result.emplace_back(name, value);
          }
        catch (const std::exception &)
          {
            throw InputError(parameter + ": '" + number + "' (for '" + name + "') is not a number");
          }
      }
    return result;
  }
} // namespace dendra

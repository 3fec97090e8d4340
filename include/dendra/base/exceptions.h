#pragma once

#include <stdexcept>
#include <string>

/// Dendra: electro-chemo-mechanics of lithium-metal anodes on deal.II.
namespace dendra
{
  /// An error in user input (parameter file, mesh file, command line). Its
  /// message is one line that names the parameter or file and what is wrong.
  class InputError : public std::runtime_error
  {
  public:
    /// Creates the error with its one-line message.
    explicit InputError(const std::string &message);
  };

  /// Throws InputError(message) unless @p condition holds.
  void require_input(bool condition, const std::string &message);

  /// Reduces any exception to one line: deal.II's multi-line messages become
  /// their "Additional information" text with white space collapsed.
  std::string one_line_message(const std::exception &error);

  /// Prints "<program>: error: <one line>" on rank 0 and returns the exit code 1.
  int report_error(const std::string &program, const std::exception &error);
} // namespace dendra

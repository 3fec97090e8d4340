#pragma once

#include <deal.II/base/parameter_handler.h>

#include <functional>
#include <mpi.h>
#include <string>

namespace dendra
{
  /// What a thin application adds to the generic driver: its name, its help
  /// text and its built-in default run.
  struct ApplicationInfo
  {
    std::string name;          ///< executable name, for messages
    std::string description;   ///< what it runs without an input file, for --help
    std::string default_input; ///< parameter text read before the input file (the built-in default run)
    /// Declares the application's own parameters besides the Simulator's (optional).
    std::function<void(dealii::ParameterHandler &)> declare_parameters;
    /// Runs the job described by the parameters (default: run_simulation()).
    std::function<void(MPI_Comm, dealii::ParameterHandler &)> run;
  };

  /// The command line of every Dendra application:
  /// `name [input.prm] [--set 'Subsection/Entry=value' ...] | --print-parameters | --help`.
  /// Initialises MPI, reads @p info's default input, the file and the
  /// overrides, and runs the simulation; returns the process exit code (bad
  /// input: a one-line error and 1).
  int run_application(int argc, char **argv, const ApplicationInfo &info);
} // namespace dendra

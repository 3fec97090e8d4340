#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/core/checkpoint.h>
#include <dendra/coupling/application.h>
#include <dendra/coupling/simulator.h>

#include <deal.II/base/mpi.h>

#include <iostream>
#include <vector>

namespace dendra
{
  int run_application(int argc, char **argv, const ApplicationInfo &info)
  {
    avoid_shared_memory_file_locks();
    dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
    const bool                               root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    const std::string                        usage =
      "Usage: " + info.name + " [input.prm] [--set 'Subsection/Entry=value' ...] [--resume]\n       " + info.name +
      " --print-parameters   print all parameters with documentation (a valid .prm)\n       " + info.name +
      " --help               show this message\n"
      "--set overrides one parameter after the input file, e.g. --set 'Simulation/End time=0.1'.\n"
      "--resume continues from the last checkpoint in the output directory (subsection Checkpoint).\n" +
      info.description + "Run in parallel with mpirun -np N " + info.name + " ...\n";
    try
      {
        const std::vector<std::string> args(argv + 1, argv + argc);
        dealii::ParameterHandler       prm;
        Simulator<2>::declare_parameters(prm);
        if (info.declare_parameters)
          info.declare_parameters(prm);
        if (!info.default_input.empty())
          read_parameter_string(prm, info.default_input);
        if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h"))
          {
            if (root)
              std::cout << usage;
            return 0;
          }
        if (args.size() == 1 && args[0] == "--print-parameters")
          {
            if (root)
              prm.print_parameters(std::cout, dealii::ParameterHandler::PRM);
            return 0;
          }
        // [input.prm] [--set 'Subsection/Entry=value' ...]: overrides apply after the file.
        std::vector<std::string> overrides;
        std::string              input;
        for (unsigned int k = 0; k < args.size(); ++k)
          if (args[k] == "--resume")
            overrides.push_back("Checkpoint/Resume=true");
          else if (args[k] == "--set")
            {
              require_input(k + 1 < args.size(), "--set needs 'Subsection/Entry=value'");
              overrides.push_back(args[++k]);
            }
          else
            {
              require_input(input.empty() && args[k].rfind("-", 0) != 0,
                            "unexpected command line argument '" + args[k] + "'; usage: " + info.name +
                              " [input.prm] [--set 'Subsection/Entry=value' ...] [--resume] | --print-parameters | "
                              "--help");
              input = args[k];
            }
        if (!input.empty())
          read_parameter_file(prm, input);
        for (const auto &assignment : overrides)
          set_parameter(prm, assignment);
        if (info.run)
          info.run(MPI_COMM_WORLD, prm);
        else
          run_simulation(MPI_COMM_WORLD, prm);
      }
    catch (const TerminatedBySignal &stop)
      {
        // Not an error: the run saved itself (see Checkpoint/Interval).
        if (root)
          std::cerr << info.name << ": " << stop.what() << std::endl;
        return 128 + stop.signal_number();
      }
    catch (const std::exception &error)
      {
        return report_error(info.name, error);
      }
    return 0;
  }
} // namespace dendra

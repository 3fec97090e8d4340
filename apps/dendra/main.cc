// dendra: the generic driver. `dendra [input.prm]` runs the simulation the
// file describes (without a file: the built-in default, a Li-filled defect in
// LLZO pressurised by plating); `--print-parameters` prints every parameter.
#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>

#include <deal.II/base/mpi.h>

#include <iostream>

namespace
{
  const char *usage = "Usage: dendra [input.prm] [--set 'Subsection/Entry=value' ...]\n"
                      "       dendra --print-parameters   print all parameters with documentation (a valid .prm)\n"
                      "       dendra --help               show this message\n"
                      "--set overrides one parameter after the input file, e.g. --set 'Simulation/End time=0.1'.\n"
                      "Without an input file, dendra runs its built-in default: a Li-filled interfacial defect\n"
                      "in LLZO pressurised by a plating eigenstrain. Run in parallel with mpirun -np N dendra ...\n";
} // namespace

int main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const bool                               root = dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
  try
    {
      const std::vector<std::string> args(argv + 1, argv + argc);
      dealii::ParameterHandler       prm;
      dendra::Simulator<2>::declare_parameters(prm);
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
      // dendra [input.prm] [--set 'Subsection/Entry=value' ...]: overrides apply after the file.
      std::vector<std::string> overrides;
      std::string              input;
      for (unsigned int k = 0; k < args.size(); ++k)
        if (args[k] == "--set")
          {
            dendra::require_input(k + 1 < args.size(), "--set needs 'Subsection/Entry=value'");
            overrides.push_back(args[++k]);
          }
        else
          {
            dendra::require_input(input.empty() && args[k].rfind("-", 0) != 0,
                                  "unexpected command line argument '" + args[k] +
                                    "'; usage: dendra [input.prm] [--set 'Subsection/Entry=value' ...] | "
                                    "--print-parameters | --help");
            input = args[k];
          }
      if (!input.empty())
        dendra::read_parameter_file(prm, input);
      for (const auto &assignment : overrides)
        dendra::set_parameter(prm, assignment);
      dendra::run_simulation(MPI_COMM_WORLD, prm);
    }
  catch (const std::exception &error)
    {
      return dendra::report_error("dendra", error);
    }
  return 0;
}

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
  const char *usage = "Usage: dendra [input.prm]\n"
                      "       dendra --print-parameters   print all parameters with documentation (a valid .prm)\n"
                      "       dendra --help               show this message\n"
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
      dendra::require_input(args.size() <= 1 && (args.empty() || args[0].rfind("-", 0) != 0),
                            "unexpected command line; usage: dendra [input.prm] | --print-parameters | --help");
      if (!args.empty())
        dendra::read_parameter_file(prm, args[0]);
      dendra::run_simulation(MPI_COMM_WORLD, prm);
    }
  catch (const std::exception &error)
    {
      return dendra::report_error("dendra", error);
    }
  return 0;
}

// MPI-aware Catch2 runner: every rank runs the selected tests; the exit code
// is the worst over all ranks, and only rank 0 reports.
#define CATCH_CONFIG_RUNNER
#include <dendra/core/checkpoint.h>

#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

int main(int argc, char **argv)
{
  dendra::avoid_shared_memory_file_locks();
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  Catch::Session                           session;
  const int                                parse = session.applyCommandLine(argc, argv);
  if (parse != 0)
    return parse;
  if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) != 0)
    session.configData().outputFilename = "/dev/null"; // rank 0 reports; all ranks count
  const int result = session.run();
  return dealii::Utilities::MPI::max(result, MPI_COMM_WORLD);
}

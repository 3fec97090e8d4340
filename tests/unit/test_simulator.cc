// Runs of the Simulator that check a coupling end to end.

#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/electrostatics.h>

#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <utility>

using namespace dealii;
using namespace dendra;

namespace
{
  /// The current (A/m) through the cell and the largest
  /// damage after a run of the default defect with @p fields, its Li filling
  /// strained to 40 %.
  std::pair<double, double> run_defect(const std::string &fields)
  {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    read_parameter_string(prm, "set Output directory = simulator-test-output\n"
                               "subsection Simulation\n  set Fields = " +
                                 fields +
                                 "\n  set Number of steps = 2\nend\n"
                                 "subsection Plating\n  set Deposit volumetric eigenstrain = 0.4 * t\nend\n"
                                 "subsection Electrostatics\n  set Conductivity = total\nend\n"
                                 "subsection Postprocess\n  set Write vtu = false\n  set Echo log = false\nend\n");
    Simulator<2> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    double cell_current = 0; // enters at one electrode, leaves at the other
    for (const auto &[id, current] : simulator.field<Electrostatics<2>>()->boundary_currents())
      cell_current = std::max(cell_current, std::abs(current));
    const double damage = simulator.field<Damage<2>>() ? simulator.field<Damage<2>>()->solution().linfty_norm() : 0.0;
    return {cell_current, damage};
  }
} // namespace

TEST_CASE("Damage degrades the ionic conductivity in a run with electrostatics, elasticity and damage", "[simulator]")
{
  const auto [intact, no_damage]   = run_defect("electrostatics, elasticity");
  const auto [cracked, max_damage] = run_defect("electrostatics, elasticity, damage");
  INFO("current through the cell: intact " << intact << " A/m, damaged " << cracked << " A/m; largest damage "
                                           << max_damage);
  CHECK(no_damage == 0);
  CHECK(max_damage > 0.5);
  // Cracked LLZO conducts less: the same voltage drives less current.
  CHECK(cracked < intact * (1 - 1e-3));
}

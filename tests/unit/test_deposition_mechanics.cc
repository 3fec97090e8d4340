// Phase-field deposition coupled to elasticity (Simulator with Fields =
// deposition, elasticity): the stress term of the overpotential, the growth
// eigenstrain of plated Li and the staggered coupling iterations.
#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/electrostatics.h>

#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>

using namespace dealii;
using namespace dendra;

namespace
{
  constexpr double faraday = 96485.33212, li_molar_volume = 1.30e-5;

  /// A 3D column of Li metal material, 2 x 2 x 10 um, with a planar diffuse
  /// Li | electrolyte interface at z = 4 um: the collector (phi = V) at
  /// z = 0, the reservoir at z = 10 um. Rollers on the three min faces and a
  /// pressure p on the three max faces: sigma = -p I everywhere when plated Li
  /// adds no volume.
  std::string planar_column(const double potential, const double pressure, const std::string &extra = "")
  {
    const auto exact = [](const double x) {
      std::ostringstream text;
      text.precision(17);
      text << x;
      return text.str();
    };
    return "set Dimension = 3\n"
           "set Output directory = deposition-mechanics\n"
           "subsection Simulation\n  set Fields = deposition, elasticity\n  set End time = 1e-5\nend\n"
           "subsection Geometry\n  set Model name = box\n  subsection Box\n"
           "    set X extent = 2e-6\n    set Y extent = 2e-6\n    set Z extent = 1e-5\n"
           "    set Z repetitions = 5\n    set Material = Li metal\n  end\nend\n"
           "subsection Mesh refinement\n  set Initial global refinement = 2\n"
           "  set Interface resolution = 0\nend\n"
           "subsection Electrodeposition\n"
           "  set Initial phase = 0.5 * (1 - tanh(3 * (z - 4e-6) / 1.5e-6))\n"
           "  subsection Boundary conditions\n"
           "    set Electrode potential = z min: " +
           exact(potential) +
           "\n    set Reservoir = z max\n  end\nend\n"
           "subsection Elasticity\n  subsection Plated lithium\n    set Growth eigenstrain = 0\n  end\n"
           "  subsection Boundary conditions\n"
           "    set Displacement = x min: 0, -, -; y min: -, 0, -; z min: -, -, 0\n"
           "    set Pressure = x max: " +
           exact(pressure) + "; y max: " + exact(pressure) + "; z max: " + exact(pressure) +
           "\n  end\nend\n"
           "subsection Time stepping\n  set BDF order = 1\n  set Initial time step = 1e-5\n"
           "  set Adaptive time stepping = false\nend\n"
           "subsection Postprocess\n  set Write vtu = false\n  set Stress summary materials =\nend\n" +
           extra;
  }

  /// Runs one step of the column; returns the current entering through
  /// collector and reservoir together (A; the plating rate times F / Omega)
  /// and the extremes of the hydrostatic stress (Pa).
  std::tuple<double, double, double> run_column(const double potential, const double pressure)
  {
    ParameterHandler prm;
    Simulator<3>::declare_parameters(prm);
    read_parameter_string(prm, planar_column(potential, pressure));
    Simulator<3> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    const auto summary  = simulator.field<Elasticity<3>>()->stress_summary({});
    const auto currents = simulator.field<Electrodeposition<3>>()->boundary_currents({4, 5});
    return {currents.at(4) + currents.at(5), summary.min_hydrostatic, summary.max_hydrostatic};
  }

  /// The electrode potential (V) at which no current flows, by secant steps.
  double equilibrium_potential(const double pressure)
  {
    double v0 = -0.01, v1 = 0.01;
    double i0 = std::get<0>(run_column(v0, pressure)), i1 = std::get<0>(run_column(v1, pressure));
    for (unsigned int k = 0; k < 8 && std::abs(v1 - v0) > 1e-8; ++k)
      {
        const double v2 = v1 - i1 * (v1 - v0) / (i1 - i0);
        v0              = v1;
        i0              = i1;
        v1              = v2;
        i1              = std::get<0>(run_column(v1, pressure));
        if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
          std::cout << "  secant: V = " << v1 << " V, current " << i1 << " A" << std::endl;
      }
    return v1;
  }
} // namespace

TEST_CASE("Stack pressure shifts the equilibrium potential by p Omega / F", "[deposition-mechanics]")
{
  const double pressure                                  = 1e8; // Pa
  const auto [current, min_hydrostatic, max_hydrostatic] = run_column(0, pressure);
  // Uniform hydrostatic compression in metal and electrolyte alike.
  CHECK(min_hydrostatic == Approx(-pressure).epsilon(1e-8));
  CHECK(max_hydrostatic == Approx(-pressure).epsilon(1e-8));
  CHECK(std::abs(current) > 0);

  const double free     = equilibrium_potential(0);
  const double pressed  = equilibrium_potential(pressure);
  const double expected = -pressure * li_molar_volume / faraday; // compression makes plating harder
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    std::cout << "stack pressure " << pressure / 1e6 << " MPa: equilibrium potential " << free * 1e3 << " -> "
              << pressed * 1e3 << " mV, shift " << (pressed - free) * 1e3 << " mV vs -p Omega / F = " << expected * 1e3
              << " mV" << std::endl;
  CHECK(pressed - free == Approx(expected).epsilon(0.01));
}

namespace
{
  /// The perturbed Li film of tests/regression/deposition_mechanics_2d.prm
  /// for 0.1 s with adaptive steps, under a separator with shear modulus
  /// @p shear_ratio x G_Li (0: liquid, no elasticity); returns the growth
  /// rate ln(A(T) / A(t_1)) / (T - t_1) of the amplitude (1/s) and the
  /// largest number of coupling iterations of a step.
  std::pair<double, double> perturbation_growth(const double shear_ratio, const std::string &coupling)
  {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    read_parameter_file(prm, DENDRA_SOURCE_DIR "/tests/regression/deposition_mechanics_2d.prm");
    const double       li_shear = 4.9e9 / (2 * 1.42), young = 2 * 1.33 * shear_ratio * li_shear;
    std::ostringstream text;
    text << "set Output directory = perturbation-" << coupling << "-" << shear_ratio << "\n"
         << "subsection Simulation\n  set End time = 0.1\n"
         << (shear_ratio == 0 ? "  set Fields = deposition\n" : "") << "end\n"
         << "subsection Time stepping\n  set Initial time step = 1e-3\n  set Adaptive time stepping = true\nend\n"
         << "subsection Materials\n  subsection Polymer electrolyte\n    set Young's modulus = " << young
         << "\n  end\nend\n"
         << "subsection Electrodeposition\n  set Stress coupling = " << coupling << "\nend\n";
    read_parameter_string(prm, text.str());
    Simulator<2> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    const auto &s         = simulator.statistics();
    const auto  amplitude = [&](const std::size_t row) {
      return (s.value(row, "tip_position") - s.value(row, "front_low")) / 2;
    };
    const std::size_t last       = s.n_rows() - 1;
    double            iterations = 0;
    for (std::size_t row = 0; row <= last; ++row)
      iterations = std::max(iterations, s.value(row, "coupling_iterations"));
    const double rate = std::log(amplitude(last) / amplitude(0)) / (s.value(last, "time") - s.value(0, "time"));
    if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      std::cout << "perturbation, " << coupling << " coupling, G_s / G_Li = " << shear_ratio << ": growth rate " << rate
                << " 1/s, at most " << iterations << " coupling iterations" << std::endl;
    return {rate, iterations};
  }
} // namespace

TEST_CASE("A stiff separator suppresses the growth of a perturbed interface", "[deposition-mechanics]")
{
  // Without a separator the perturbation grows (current focusing on the
  // crests); a separator much stiffer than Li makes it decay, in both forms
  // of the stress term. The crossover lies between (benchmarks/deposition).
  const auto liquid = perturbation_growth(0, "hydrostatic");
  CHECK(liquid.first > 0.2);
  for (const std::string coupling : {"hydrostatic", "monroe-newman"})
    {
      const auto [rate, iterations] = perturbation_growth(8, coupling);
      CHECK(rate < -0.2);
      // The staggered passes converge to 1e-6 within the limit of 6.
      CHECK(iterations >= 2);
      CHECK(iterations <= 6);
    }
}

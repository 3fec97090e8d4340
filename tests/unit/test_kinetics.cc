// Electrode kinetics: Butler-Volmer, Tafel and linear laws, their
// derivatives, the concentration dependence of i0 and the mechanical term.
#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <catch2/catch.hpp>

#include <cmath>

using namespace dealii;
using namespace dendra;

namespace
{
  std::unique_ptr<ElectrodeKinetics> make(const std::string &text)
  {
    ParameterHandler prm;
    ElectrodeKinetics::declare_parameters(prm);
    read_parameter_string(prm, "subsection Kinetics\n" + text + "end\n");
    return ElectrodeKinetics::create(prm);
  }
} // namespace

TEST_CASE("Butler-Volmer follows its closed form", "[kinetics]")
{
  const auto   bv = make("set Anodic transfer coefficient = 0.3\nset Cathodic transfer coefficient = 0.7\n");
  const double f  = constants::faraday / (constants::gas * 298.15);
  for (const double eta : {-0.1, -0.01, 0.0, 0.02, 0.1})
    CHECK(bv->current_density(eta, 1000) ==
          Approx(30 * (std::exp(0.3 * f * eta) - std::exp(-0.7 * f * eta))).margin(1e-12));
  CHECK(bv->current_density(-0.05, 1000) < 0); // plating is cathodic
  // i0 ~ (c / c_ref)^0.5
  CHECK(bv->exchange_current_density(250) == Approx(15));
}

TEST_CASE("Kinetics derivatives match finite differences", "[kinetics]")
{
  for (const std::string law : {"butler-volmer", "tafel", "linear"})
    {
      const auto kinetics = make("set Law = " + law + "\n");
      for (const double eta : {-0.08, -0.003, 0.004, 0.06})
        for (const double c : {200.0, 1000.0, 1500.0})
          {
            INFO(law << " eta " << eta << " c " << c);
            const double h_eta = 1e-7, h_c = 1e-3;
            const double d_eta =
              (kinetics->current_density(eta + h_eta, c) - kinetics->current_density(eta - h_eta, c)) / (2 * h_eta);
            const double d_c =
              (kinetics->current_density(eta, c + h_c) - kinetics->current_density(eta, c - h_c)) / (2 * h_c);
            CHECK(kinetics->d_current_d_eta(eta, c) == Approx(d_eta).epsilon(1e-6));
            CHECK(kinetics->d_current_d_c(eta, c) == Approx(d_c).epsilon(1e-6).margin(1e-12));
          }
    }
}

TEST_CASE("Tafel and linear kinetics are the limits of Butler-Volmer", "[kinetics]")
{
  const auto bv = make(""), tafel = make("set Law = tafel\n"), linear = make("set Law = linear\n");
  // |eta| >> RT/F: the other branch is below 1e-8 of the dominant one.
  CHECK(tafel->current_density(-0.5, 1000) == Approx(bv->current_density(-0.5, 1000)).epsilon(1e-8));
  CHECK(tafel->current_density(0.5, 1000) == Approx(bv->current_density(0.5, 1000)).epsilon(1e-8));
  // |eta| << RT/F: slopes agree at 0 and values to second order.
  CHECK(linear->d_current_d_eta(0, 1000) == Approx(bv->d_current_d_eta(0, 1000)));
  CHECK(linear->current_density(1e-5, 1000) == Approx(bv->current_density(1e-5, 1000)).epsilon(1e-6));
  // A constant exchange current density for solid electrolytes.
  const auto solid = make("set Concentration exponent = 0\n");
  CHECK(solid->exchange_current_density(1) == 30);
  CHECK(solid->d_current_d_c(-0.1, 1) == 0);
}

TEST_CASE("Compression raises the plating overpotential by Omega |sigma_h| / F", "[kinetics]")
{
  const double omega = 1.30e-5; // m^3/mol, Li metal
  const double shift = overpotential(0, 0, 0, omega, -1e6) - overpotential(0, 0, 0, omega, 0);
  CHECK(shift == Approx(0.135e-3).epsilon(0.01)); // 0.135 mV per MPa (PHYSICS.md)
  CHECK(overpotential(0.1, 0.02, 0.03) == Approx(0.05));
}

TEST_CASE("Kinetics parameters are validated", "[kinetics]")
{
  CHECK_THROWS_WITH(make("set Exchange current density = 0\n"), Catch::Contains("Kinetics/Exchange current density"));
  CHECK_THROWS_WITH(make("set Law = marcus\n"), Catch::Contains("marcus"));
}

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
  for (const std::string dependence : {"exchange current", "cathodic branch"})
    for (const std::string law : {"butler-volmer", "tafel", "linear"})
      {
        const auto kinetics = make("set Law = " + law + "\nset Concentration dependence = " + dependence + "\n");
        for (const double eta : {-0.08, -0.003, 0.004, 0.06})
          for (const double c : {200.0, 1000.0, 1500.0})
            {
              INFO(law << ", " << dependence << ": eta " << eta << " c " << c);
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

TEST_CASE("The cathodic-branch concentration dependence of phase-field deposition", "[kinetics]")
{
  // Chen et al.: i = i0 [exp(alpha_a f eta) - (c / c_ref) exp(-alpha_c f eta)]; equilibrium
  // at c = c_ref is eta = 0, and at c it shifts to ln(c / c_ref) / ((alpha_a + alpha_c) f).
  const auto   bv = make("set Concentration dependence = cathodic branch\n"
                           "set Anodic transfer coefficient = 0.4\nset Cathodic transfer coefficient = 0.6\n");
  const double f  = constants::faraday / (constants::gas * 298.15);
  for (const double eta : {-0.05, 0.0, 0.03})
    for (const double c : {0.0, 500.0, 1000.0})
      CHECK(bv->current_density(eta, c) ==
            Approx(30 * (std::exp(0.4 * f * eta) - c / 1000 * std::exp(-0.6 * f * eta))).margin(1e-12));
  CHECK(bv->current_density(std::log(0.5) / f, 500) == Approx(0).margin(1e-12));
  // No Li+ at the surface: only stripping.
  CHECK(bv->current_density(-0.2, 0) > 0);
}

TEST_CASE("The mechanical overpotential: hydrostatic and Monroe-Newman forms", "[kinetics]")
{
  MechanicalOverpotential mechanical; // hydrostatic, Li metal
  const double            mpa = 1e6, per_mpa = 1.30e-5 * mpa / constants::faraday;
  // Hydrostatic compression of 1 MPa raises the overpotential needed to plate by 0.135 mV.
  CHECK(mechanical(-mpa * unit_symmetric_tensor<3>(), Tensor<1, 3>()) == Approx(per_mpa));
  CHECK(per_mpa == Approx(0.135e-3).epsilon(0.01));
  // Monroe-Newman: the normal stress n.sigma.n of the surface (n of any length), plus V_Li+ sigma_h.
  mechanical.form                  = MechanicalOverpotential::Form::monroe_newman;
  mechanical.electrolyte_li_volume = 2e-6;
  SymmetricTensor<2, 3> sigma;
  sigma[0][0] = -3 * mpa; // compression along x only
  const Tensor<1, 3> along_x({2.0, 0.0, 0.0}), diagonal({1.0, 1.0, 0.0});
  CHECK(mechanical(sigma, along_x) == Approx((1.30e-5 * 3 * mpa - 2e-6 * mpa) / constants::faraday));
  CHECK(mechanical(sigma, diagonal) == Approx((1.30e-5 * 1.5 * mpa - 2e-6 * mpa) / constants::faraday));
  // No normal (away from the interface): sigma_h stands in for sigma_nn.
  CHECK(mechanical(sigma, Tensor<1, 3>()) == Approx((1.30e-5 - 2e-6) * mpa / constants::faraday));
  mechanical.charge_number = 2;
  CHECK(mechanical(sigma, along_x) == Approx((1.30e-5 * 3 * mpa - 2e-6 * mpa) / (2 * constants::faraday)));
}

TEST_CASE("A host surface scales the exchange current and adds its nucleation overpotential", "[kinetics]")
{
  const SurfaceKinetics cu{0.25, 0.02};
  CHECK(cu.exchange_scale(0) == 1);
  CHECK(cu.exchange_scale(1) == 0.25);
  CHECK(cu.exchange_scale(0.5) == Approx(0.625));
  CHECK(cu.overpotential_shift(0.5) == Approx(0.01));
  CHECK(SurfaceKinetics().overpotential_shift(1) == 0);
}

TEST_CASE("Kinetics parameters are validated", "[kinetics]")
{
  CHECK_THROWS_WITH(make("set Exchange current density = 0\n"), Catch::Contains("Kinetics/Exchange current density"));
  CHECK_THROWS_WITH(make("set Law = marcus\n"), Catch::Contains("marcus"));
}

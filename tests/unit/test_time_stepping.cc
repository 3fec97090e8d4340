// BDF1 and variable-step BDF2 orders on y' = -y, and the step controller.
#include <dendra/base/time_stepping.h>

#include <catch2/catch.hpp>

#include "test_helpers.h"

#include <cmath>
#include <functional>

using namespace dendra;
using namespace dendra::testing;

namespace
{
  /// Error at t = 1 of y' = -y, y(0) = 1, with steps h g(t).
  double integrate(const unsigned int order, const double h, const std::function<double(double)> &g)
  {
    double t = 0, y = 1, y_old = 1, dt_old = 0;
    while (t < 1 - 1e-12)
      {
        const double dt    = std::min(h * g(t), 1 - t);
        const auto   c     = BDFCoefficients::make(order, dt, dt_old);
        const double y_new = -(c.a[1] * y + c.a[2] * y_old) / (c.a[0] + dt);
        y_old              = y;
        y                  = y_new;
        dt_old             = dt;
        t += dt;
      }
    return std::abs(y - std::exp(-1.0));
  }
} // namespace

TEST_CASE("BDF1 and BDF2 converge at orders 1 and 2", "[time_stepping]")
{
  const auto uniform  = [](double) { return 1.0; };
  const auto variable = [](double t) { return 1.0 + 0.5 * std::sin(2 * numbers::PI * t); };
  for (const unsigned int order : {1u, 2u})
    for (const auto &g : {std::function<double(double)>(uniform), std::function<double(double)>(variable)})
      {
        const double e1 = integrate(order, 1.0 / 80, g), e2 = integrate(order, 1.0 / 160, g);
        INFO("order " << order);
        CHECK(std::abs(std::log2(e1 / e2) - order) < 0.1);
      }
  // omega = 1 gives the classical BDF2 coefficients.
  const auto c = BDFCoefficients::make(2, 0.1, 0.1);
  CHECK(c.a[0] == Approx(1.5));
  CHECK(c.a[1] == Approx(-2));
  CHECK(c.a[2] == Approx(0.5));
  CHECK(BDFCoefficients::make(2, 0.1, 0).order == 1); // first step
}

TEST_CASE("The step controller accepts, rejects and gives up with a reason", "[time_stepping]")
{
  TimeStepController controller;
  controller.tolerance = 1e-4;
  auto d               = controller.after_converged_step(1.0, 1e-6, 3);
  CHECK(d.accept);
  CHECK(d.next_dt == Approx(2.0)); // capped growth
  d = controller.after_converged_step(1.0, 1e-3, 3);
  CHECK_FALSE(d.accept);
  CHECK(d.next_dt < 1.0);
  d = controller.after_converged_step(1.0, 1e-5, 12); // many Newton iterations
  CHECK(d.accept);
  CHECK(d.next_dt <= 0.5);
  CHECK(controller.after_failed_step(1.0, "Transport") == Approx(0.25));
  controller.min_dt = 0.1;
  CHECK_THROWS_WITH(controller.after_failed_step(0.2, "Transport at t = 3 s"),
                    Catch::Contains("Transport at t = 3 s") && Catch::Contains("giving up"));
}

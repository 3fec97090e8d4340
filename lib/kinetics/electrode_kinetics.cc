#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <cmath>

namespace dendra
{
  using namespace dealii;

  double overpotential(const double phi_s, const double phi_e, const double equilibrium_potential,
                       const double molar_volume, const double hydrostatic_stress)
  {
    return phi_s - phi_e - equilibrium_potential - molar_volume * hydrostatic_stress / constants::faraday;
  }

  void ElectrodeKinetics::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Kinetics");
    prm.declare_entry("Law", "butler-volmer", Patterns::Selection("butler-volmer|tafel|linear"),
                      "Interface kinetics: butler-volmer, tafel (dominant branch only, for |eta| >> RT/F) or "
                      "linear (linearised Butler-Volmer, for |eta| << RT/F).");
    prm.declare_entry("Exchange current density", "30", Patterns::Double(0),
                      "Reference exchange current density i0_ref (A/m^2), > 0.");
    prm.declare_entry("Reference concentration", "1000", Patterns::Double(0),
                      "Concentration c_ref at which i0 = i0_ref (mol/m^3), > 0.");
    prm.declare_entry("Concentration exponent", "0.5", Patterns::Double(0),
                      "i0 = i0_ref (c / c_ref)^exponent (-); 0 makes i0 constant (solid electrolytes).");
    prm.declare_entry("Anodic transfer coefficient", "0.5", Patterns::Double(0, 1), "alpha_a (-), in (0, 1].");
    prm.declare_entry("Cathodic transfer coefficient", "0.5", Patterns::Double(0, 1), "alpha_c (-), in (0, 1].");
    prm.declare_entry("Equilibrium potential", "0", Patterns::Double(), "U0 of the Li/Li+ reaction (V).");
    prm.declare_entry("Temperature", "298.15", Patterns::Double(0), "Absolute temperature T (K), > 0.");
    prm.leave_subsection();
  }

  std::unique_ptr<ElectrodeKinetics> ElectrodeKinetics::create(ParameterHandler &prm)
  {
    prm.enter_subsection("Kinetics");
    const std::string                  law = prm.get("Law");
    std::unique_ptr<ElectrodeKinetics> kinetics;
    if (law == "butler-volmer")
      kinetics = std::make_unique<ButlerVolmer>();
    else if (law == "tafel")
      kinetics = std::make_unique<Tafel>();
    else
      kinetics = std::make_unique<LinearKinetics>();
    kinetics->i0_ref      = prm.get_double("Exchange current density");
    kinetics->c_ref       = prm.get_double("Reference concentration");
    kinetics->c_exponent  = prm.get_double("Concentration exponent");
    kinetics->alpha_a     = prm.get_double("Anodic transfer coefficient");
    kinetics->alpha_c     = prm.get_double("Cathodic transfer coefficient");
    kinetics->equilibrium = prm.get_double("Equilibrium potential");
    kinetics->temperature = prm.get_double("Temperature");
    prm.leave_subsection();
    require_positive("Kinetics/", {{"Exchange current density", kinetics->i0_ref},
                                   {"Reference concentration", kinetics->c_ref},
                                   {"Anodic transfer coefficient", kinetics->alpha_a},
                                   {"Cathodic transfer coefficient", kinetics->alpha_c},
                                   {"Temperature", kinetics->temperature}});
    return kinetics;
  }

  double ElectrodeKinetics::exchange_current_density(const double c) const
  {
    if (c_exponent == 0)
      return i0_ref;
    return i0_ref * std::pow(std::max(c, 0.0) / c_ref, c_exponent);
  }

  double ElectrodeKinetics::d_exchange_current_density_d_c(const double c) const
  {
    if (c_exponent == 0 || c <= 0)
      return 0;
    return c_exponent * exchange_current_density(c) / c;
  }

  double ButlerVolmer::current_density(const double eta, const double c) const
  {
    return exchange_current_density(c) * (std::exp(alpha_a * f() * eta) - std::exp(-alpha_c * f() * eta));
  }

  double ButlerVolmer::d_current_d_eta(const double eta, const double c) const
  {
    return exchange_current_density(c) * f() *
           (alpha_a * std::exp(alpha_a * f() * eta) + alpha_c * std::exp(-alpha_c * f() * eta));
  }

  double ButlerVolmer::d_current_d_c(const double eta, const double c) const
  {
    return d_exchange_current_density_d_c(c) * (std::exp(alpha_a * f() * eta) - std::exp(-alpha_c * f() * eta));
  }

  double Tafel::current_density(const double eta, const double c) const
  {
    const double i0 = exchange_current_density(c);
    return eta >= 0 ? i0 * std::exp(alpha_a * f() * eta) : -i0 * std::exp(-alpha_c * f() * eta);
  }

  double Tafel::d_current_d_eta(const double eta, const double c) const
  {
    const double i0 = exchange_current_density(c);
    return eta >= 0 ? i0 * alpha_a * f() * std::exp(alpha_a * f() * eta)
                    : i0 * alpha_c * f() * std::exp(-alpha_c * f() * eta);
  }

  double Tafel::d_current_d_c(const double eta, const double c) const
  {
    const double di0 = d_exchange_current_density_d_c(c);
    return eta >= 0 ? di0 * std::exp(alpha_a * f() * eta) : -di0 * std::exp(-alpha_c * f() * eta);
  }

  double LinearKinetics::current_density(const double eta, const double c) const
  {
    return exchange_current_density(c) * (alpha_a + alpha_c) * f() * eta;
  }

  double LinearKinetics::d_current_d_eta(const double, const double c) const
  {
    return exchange_current_density(c) * (alpha_a + alpha_c) * f();
  }

  double LinearKinetics::d_current_d_c(const double eta, const double c) const
  {
    return d_exchange_current_density_d_c(c) * (alpha_a + alpha_c) * f() * eta;
  }
} // namespace dendra

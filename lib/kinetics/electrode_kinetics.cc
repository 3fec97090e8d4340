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

  void ElectrodeKinetics::declare_parameters(ParameterHandler &prm, const std::string &exchange_current_density,
                                             const std::string &concentration_exponent)
  {
    prm.enter_subsection("Kinetics");
    prm.declare_entry("Law", "butler-volmer", Patterns::Selection("butler-volmer|tafel|linear"),
                      "Interface kinetics: butler-volmer, tafel (dominant branch only, for |eta| >> RT/F) or "
                      "linear (linearised Butler-Volmer, for |eta| << RT/F).");
    prm.declare_entry("Exchange current density", exchange_current_density, Patterns::Double(0),
                      "Reference exchange current density i0_ref (A/m^2), > 0.");
    prm.declare_entry("Reference concentration", "1000", Patterns::Double(0),
                      "Concentration c_ref at which i0 = i0_ref (mol/m^3), > 0.");
    prm.declare_entry("Concentration exponent", concentration_exponent, Patterns::Double(0),
                      "i0 = i0_ref (c / c_ref)^exponent (-); 0 makes i0 constant (solid electrolytes).");
    prm.declare_entry("Concentration dependence", "exchange current",
                      Patterns::Selection("exchange current|cathodic branch"),
                      "exchange current: i0 = i0_ref (c / c_ref)^exponent scales both branches; cathodic branch: "
                      "only the plating branch scales with c / c_ref, i = i0_ref [exp(alpha_a f eta) - (c / c_ref) "
                      "exp(-alpha_c f eta)] (Chen et al. 2015).");
    prm.declare_entry("Anodic transfer coefficient", "0.5", Patterns::Double(0, 1), "alpha_a (-), in (0, 1].");
    prm.declare_entry("Cathodic transfer coefficient", "0.5", Patterns::Double(0, 1), "alpha_c (-), in (0, 1].");
    prm.declare_entry("Equilibrium potential", "0", Patterns::Double(), "U0 of the Li/Li+ reaction (V).");
    declare_moved_entry(prm, "Temperature", "Conditions/Temperature");
    prm.leave_subsection();
  }

  std::unique_ptr<ElectrodeKinetics> ElectrodeKinetics::create(ParameterHandler &prm, const double temperature)
  {
    prm.enter_subsection("Kinetics");
    check_moved_entry(prm, "Temperature", "Kinetics/", "Conditions/Temperature");
    const std::string                  law = prm.get("Law");
    std::unique_ptr<ElectrodeKinetics> kinetics;
    if (law == "butler-volmer")
      kinetics = std::make_unique<ButlerVolmer>();
    else if (law == "tafel")
      kinetics = std::make_unique<Tafel>();
    else
      kinetics = std::make_unique<LinearKinetics>();
    kinetics->i0_ref        = prm.get_double("Exchange current density");
    kinetics->c_ref         = prm.get_double("Reference concentration");
    kinetics->c_exponent    = prm.get_double("Concentration exponent");
    kinetics->alpha_a       = prm.get_double("Anodic transfer coefficient");
    kinetics->alpha_c       = prm.get_double("Cathodic transfer coefficient");
    kinetics->equilibrium   = prm.get_double("Equilibrium potential");
    kinetics->temperature   = temperature;
    kinetics->concentration = prm.get("Concentration dependence") == "cathodic branch"
                                ? ElectrodeKinetics::ConcentrationDependence::cathodic_branch
                                : ElectrodeKinetics::ConcentrationDependence::exchange_current;
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

  ElectrodeKinetics::BranchFactors ElectrodeKinetics::branch_factors(const double c) const
  {
    BranchFactors factors;
    if (concentration == ConcentrationDependence::exchange_current)
      {
        factors.anodic = factors.cathodic = exchange_current_density(c);
        factors.d_anodic_d_c = factors.d_cathodic_d_c = d_exchange_current_density_d_c(c);
      }
    else
      {
        factors.anodic         = i0_ref;
        factors.cathodic       = i0_ref * c / c_ref;
        factors.d_cathodic_d_c = i0_ref / c_ref;
      }
    return factors;
  }

  double ButlerVolmer::current_density(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return b.anodic * std::exp(alpha_a * f() * eta) - b.cathodic * std::exp(-alpha_c * f() * eta);
  }

  double ButlerVolmer::d_current_d_eta(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return f() *
           (b.anodic * alpha_a * std::exp(alpha_a * f() * eta) + b.cathodic * alpha_c * std::exp(-alpha_c * f() * eta));
  }

  double ButlerVolmer::d_current_d_c(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return b.d_anodic_d_c * std::exp(alpha_a * f() * eta) - b.d_cathodic_d_c * std::exp(-alpha_c * f() * eta);
  }

  double Tafel::current_density(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return eta >= 0 ? b.anodic * std::exp(alpha_a * f() * eta) : -b.cathodic * std::exp(-alpha_c * f() * eta);
  }

  double Tafel::d_current_d_eta(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return eta >= 0 ? b.anodic * alpha_a * f() * std::exp(alpha_a * f() * eta)
                    : b.cathodic * alpha_c * f() * std::exp(-alpha_c * f() * eta);
  }

  double Tafel::d_current_d_c(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return eta >= 0 ? b.d_anodic_d_c * std::exp(alpha_a * f() * eta)
                    : -b.d_cathodic_d_c * std::exp(-alpha_c * f() * eta);
  }

  double LinearKinetics::current_density(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return (b.anodic - b.cathodic) + (b.anodic * alpha_a + b.cathodic * alpha_c) * f() * eta;
  }

  double LinearKinetics::d_current_d_eta(const double, const double c) const
  {
    const auto b = branch_factors(c);
    return (b.anodic * alpha_a + b.cathodic * alpha_c) * f();
  }

  double LinearKinetics::d_current_d_c(const double eta, const double c) const
  {
    const auto b = branch_factors(c);
    return (b.d_anodic_d_c - b.d_cathodic_d_c) + (b.d_anodic_d_c * alpha_a + b.d_cathodic_d_c * alpha_c) * f() * eta;
  }

  double MechanicalOverpotential::operator()(const SymmetricTensor<2, 3> &sigma, const Tensor<1, 3> &normal) const
  {
    const double faraday     = constants::faraday * charge_number;
    const double hydrostatic = trace(sigma) / 3;
    if (form == Form::hydrostatic)
      return -molar_volume * hydrostatic / faraday;
    // Away from a surface (no normal) the reaction vanishes; sigma_h stands in.
    double       normal_stress = hydrostatic;
    const double norm          = normal.norm();
    if (norm > 0)
      {
        normal_stress = 0;
        for (unsigned int i = 0; i < 3; ++i)
          for (unsigned int j = 0; j < 3; ++j)
            normal_stress += normal[i] * sigma[i][j] * normal[j] / (norm * norm);
      }
    return (-molar_volume * normal_stress + electrolyte_li_volume * hydrostatic) / faraday;
  }
} // namespace dendra

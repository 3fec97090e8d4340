#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/symmetric_tensor.h>
#include <deal.II/base/tensor.h>

#include <memory>
#include <string>

namespace dendra
{
  /// Physical constants (SI).
  namespace constants
  {
    inline constexpr double faraday             = 96485.33212;      ///< F (C/mol)
    inline constexpr double gas                 = 8.314462618;      ///< R (J/(mol K))
    inline constexpr double vacuum_permittivity = 8.8541878128e-12; ///< epsilon_0 (F/m)
  }                                                                 // namespace constants

  /// Overpotential with the mechanical term of PHYSICS.md Section 2 (V):
  /// eta = phi_s - phi_e - U0 - Omega sigma_h / F, with the electrode potential
  /// phi_s (V), the electrolyte potential phi_e (V), the equilibrium potential
  /// U0 (V), the molar volume Omega (m^3/mol) and the hydrostatic stress
  /// sigma_h (Pa, compression < 0) of the metal at the interface.
  double overpotential(double phi_s, double phi_e, double equilibrium_potential, double molar_volume = 0,
                       double hydrostatic_stress = 0);

  /// The mechanical term of the overpotential of Li plating at a stressed
  /// metal surface (PHYSICS.md Section 2), one place for every field that
  /// plates Li: eta = phi_s - phi_e - U0 + eta_mech.
  struct MechanicalOverpotential
  {
    /// Which stress enters.
    enum class Form
    {
      /// eta_mech = -Omega_Li sigma_h / (n F), sigma_h = tr(sigma) / 3:
      /// compression (sigma_h < 0) makes plating harder, 0.135 mV per MPa.
      hydrostatic,
      /// Monroe-Newman type: eta_mech = (-Omega_Li sigma_nn + V_Li+ sigma_h) / (n F),
      /// sigma_nn = n.sigma.n against which the Li atom joins the metal, and
      /// the Li+ leaving the electrolyte with its partial molar volume V_Li+.
      monroe_newman
    };
    Form   form                  = Form::hydrostatic;
    double molar_volume          = 1.30e-5; ///< Omega_Li (m^3/mol)
    double electrolyte_li_volume = 0;       ///< V_Li+ (m^3/mol), Monroe-Newman form
    double charge_number         = 1;       ///< n (-)

    /// eta_mech (V) for the stress @p sigma (Pa) at a surface whose normal
    /// points along @p normal (any length; zero: unknown, sigma_h stands in for sigma_nn).
    double operator()(const dealii::SymmetricTensor<2, 3> &sigma, const dealii::Tensor<1, 3> &normal) const;
  };

  /// How a conducting host's surface (Cu, rGO) changes the plating kinetics
  /// near it, weighted by w in [0, 1] (1 on the surface).
  struct SurfaceKinetics
  {
    double exchange_current_factor  = 1; ///< i0 on the surface relative to Li on Li (-), > 0
    double nucleation_overpotential = 0; ///< extra cathodic overpotential to plate there (V), >= 0

    /// i0 scale 1 + (factor - 1) w (-).
    double exchange_scale(double w) const { return 1 + (exchange_current_factor - 1) * w; }
    /// Shift of the overpotential, nucleation overpotential times w (V).
    double overpotential_shift(double w) const { return nucleation_overpotential * w; }
  };

  /// Interface kinetics: the current density i_n(eta, c) (A/m^2, positive =
  /// anodic, i.e. stripping; plating has i_n < 0 for eta < 0) and its
  /// derivatives, for Newton. Plugins by name: "butler-volmer", "tafel", "linear".
  class ElectrodeKinetics
  {
  public:
    virtual ~ElectrodeKinetics() = default;

    /// Declares the parameters shared by all laws (subsection "Kinetics"),
    /// with the defaults @p exchange_current_density (A/m^2) and @p concentration_exponent (-).
    static void declare_parameters(dealii::ParameterHandler &prm, const std::string &exchange_current_density = "30",
                                   const std::string &concentration_exponent = "0.5");
    /// Creates the law named in subsection "Kinetics" and reads its parameters;
    /// @p temperature (K, > 0) is the run's (Conditions/Temperature).
    static std::unique_ptr<ElectrodeKinetics> create(dealii::ParameterHandler &prm, double temperature = 298.15);

    /// Current density (A/m^2) at overpotential @p eta (V) and surface concentration @p c (mol/m^3).
    virtual double current_density(double eta, double c) const = 0;
    /// d i_n / d eta (A/(m^2 V)).
    virtual double d_current_d_eta(double eta, double c) const = 0;
    /// d i_n / d c (A m/mol).
    virtual double d_current_d_c(double eta, double c) const = 0;

    /// How the surface concentration c enters.
    enum class ConcentrationDependence
    {
      /// i0 = i0_ref (c / c_ref)^exponent scales both branches (liquid electrolytes).
      exchange_current,
      /// Only the cathodic (plating) branch scales, with c / c_ref:
      /// i = i0_ref [exp(alpha_a f eta) - (c / c_ref) exp(-alpha_c f eta)]
      /// (Chen et al. 2015: the phase-field deposition).
      cathodic_branch
    };

    /// Exchange current density i0(c) (A/m^2).
    double exchange_current_density(double c) const;
    /// d i0 / d c (A m/mol).
    double d_exchange_current_density_d_c(double c) const;
    /// The prefactors of the anodic and cathodic exponentials at @p c (A/m^2)
    /// and their derivatives in c (A m/mol).
    struct BranchFactors
    {
      double anodic = 0, cathodic = 0, d_anodic_d_c = 0, d_cathodic_d_c = 0;
    };
    /// The branch prefactors of the chosen concentration dependence.
    BranchFactors branch_factors(double c) const;
    /// F / (R T) (1/V).
    double f() const { return constants::faraday / (constants::gas * temperature); }

    double                  i0_ref        = 30.0;   ///< reference exchange current density (A/m^2)
    double                  c_ref         = 1000.0; ///< reference concentration (mol/m^3)
    double                  c_exponent    = 0.5;    ///< i0 = i0_ref (c / c_ref)^c_exponent; 0 = constant i0 (-)
    double                  alpha_a       = 0.5;    ///< anodic transfer coefficient (-)
    double                  alpha_c       = 0.5;    ///< cathodic transfer coefficient (-)
    double                  equilibrium   = 0.0;    ///< equilibrium potential U0 (V)
    double                  temperature   = 298.15; ///< T (K)
    ConcentrationDependence concentration = ConcentrationDependence::exchange_current; ///< how c enters
  };

  /// Butler-Volmer: i = a exp(alpha_a f eta) - k exp(-alpha_c f eta) with the
  /// branch prefactors a, k: i0(c) [exp(alpha_a f eta) - exp(-alpha_c f eta)] by default.
  class ButlerVolmer : public ElectrodeKinetics
  {
  public:
    double current_density(double eta, double c) const override;
    double d_current_d_eta(double eta, double c) const override;
    double d_current_d_c(double eta, double c) const override;
  };

  /// Tafel: the dominant Butler-Volmer branch only, i = i0 exp(alpha_a f eta)
  /// for eta >= 0 and -i0 exp(-alpha_c f eta) for eta < 0 (valid for |eta| >> RT/F).
  class Tafel : public ElectrodeKinetics
  {
  public:
    double current_density(double eta, double c) const override;
    double d_current_d_eta(double eta, double c) const override;
    double d_current_d_c(double eta, double c) const override;
  };

  /// Linearised Butler-Volmer about eta = 0: i = (a - k) + (a alpha_a + k alpha_c) f eta
  /// with the branch prefactors a, k; i0(c) (alpha_a + alpha_c) f eta when they agree (small |eta|).
  class LinearKinetics : public ElectrodeKinetics
  {
  public:
    double current_density(double eta, double c) const override;
    double d_current_d_eta(double eta, double c) const override;
    double d_current_d_c(double eta, double c) const override;
  };
} // namespace dendra

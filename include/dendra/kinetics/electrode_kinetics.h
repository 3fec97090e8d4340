#pragma once

#include <deal.II/base/parameter_handler.h>

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

  /// Interface kinetics: the current density i_n(eta, c) (A/m^2, positive =
  /// anodic, i.e. stripping; plating has i_n < 0 for eta < 0) and its
  /// derivatives, for Newton. Plugins by name: "butler-volmer", "tafel", "linear".
  class ElectrodeKinetics
  {
  public:
    virtual ~ElectrodeKinetics() = default;

    /// Declares the parameters shared by all laws (subsection "Kinetics").
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Creates the law named in subsection "Kinetics" and reads its parameters.
    static std::unique_ptr<ElectrodeKinetics> create(dealii::ParameterHandler &prm);

    /// Current density (A/m^2) at overpotential @p eta (V) and surface concentration @p c (mol/m^3).
    virtual double current_density(double eta, double c) const = 0;
    /// d i_n / d eta (A/(m^2 V)).
    virtual double d_current_d_eta(double eta, double c) const = 0;
    /// d i_n / d c (A m/mol).
    virtual double d_current_d_c(double eta, double c) const = 0;

    /// Exchange current density i0(c) (A/m^2).
    double exchange_current_density(double c) const;
    /// d i0 / d c (A m/mol).
    double d_exchange_current_density_d_c(double c) const;
    /// F / (R T) (1/V).
    double f() const { return constants::faraday / (constants::gas * temperature); }

    double i0_ref      = 30.0;   ///< reference exchange current density (A/m^2)
    double c_ref       = 1000.0; ///< reference concentration (mol/m^3)
    double c_exponent  = 0.5;    ///< i0 = i0_ref (c / c_ref)^c_exponent; 0 = constant i0 (-)
    double alpha_a     = 0.5;    ///< anodic transfer coefficient (-)
    double alpha_c     = 0.5;    ///< cathodic transfer coefficient (-)
    double equilibrium = 0.0;    ///< equilibrium potential U0 (V)
    double temperature = 298.15; ///< T (K)
  };

  /// Butler-Volmer: i = i0(c) [exp(alpha_a f eta) - exp(-alpha_c f eta)].
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

  /// Linearised Butler-Volmer: i = i0(c) (alpha_a + alpha_c) f eta (small |eta|).
  class LinearKinetics : public ElectrodeKinetics
  {
  public:
    double current_density(double eta, double c) const override;
    double d_current_d_eta(double eta, double c) const override;
    double d_current_d_c(double eta, double c) const override;
  };
} // namespace dendra

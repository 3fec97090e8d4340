#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/types.h>

#include <map>
#include <string>
#include <vector>

namespace dendra
{
  /// Properties of one material (SI units), the defaults of PHYSICS.md Section 6.
  struct Material
  {
    std::string                name;                        ///< e.g. "Li metal", "LLZO"
    dealii::types::material_id id                      = 0; ///< cell material id (-)
    double                     young_modulus           = 0; ///< E (Pa); 0 marks a fluid (no elasticity)
    double                     poisson_ratio           = 0; ///< nu (-), in (-1, 0.5)
    double                     electronic_conductivity = 0; ///< sigma_e (S/m)
    double                     ionic_conductivity      = 0; ///< sigma_ion (S/m)
    /// Exchange current of Li plating on this material's surface relative to
    /// Li on Li (-): scales the reaction constant L_eta next to a host surface.
    double exchange_current_factor = 1;
    /// Extra overpotential Li needs to nucleate on this material's surface
    /// (V), >= 0: lithiophobic surfaces (Cu) need tens of mV, lithiophilic ones ~0.
    double nucleation_overpotential = 0;
    /// Critical energy release rate G_c (J/m^2) of phase-field fracture;
    /// 0: the material does not damage. G_c = K_IC^2 (1 - nu^2) / E.
    double fracture_energy = 0;
    /// Phase-field length scale l (m), > 0 where G_c > 0: the width of the
    /// diffuse crack, to be resolved by about four cells.
    double damage_length = 0;
    /// Molar volume Omega (m^3/mol); used for Li metal: the volume of a mole of
    /// plated Li, c_s = 1 / Omega its molar density. 0 where unused.
    double molar_volume = 0;
    /// Partial molar volume V_Li+ of Li+ in this material as an electrolyte
    /// (m^3/mol): the Monroe-Newman form of the mechanical overpotential. 0 where unused.
    double li_ion_volume = 0;

    /// Shear modulus mu = E / (2 (1 + nu)) (Pa).
    double shear_modulus() const;
    /// First Lame parameter lambda = E nu / ((1 + nu)(1 - 2 nu)) (Pa).
    double lame_lambda() const;
    /// Bulk modulus K = E / (3 (1 - 2 nu)) (Pa).
    double bulk_modulus() const;
  };

  /// The operating conditions every field shares (subsection "Conditions").
  struct OperatingConditions
  {
    double temperature        = 298.15; ///< T (K), > 0
    double bulk_concentration = 1000;   ///< c0, the salt (Li+) concentration of the bulk electrolyte (mol/m^3), > 0
  };

  /// What MaterialLibrary::evaluate() needs at the quadrature points of one cell.
  struct MaterialInputs
  {
    dealii::types::material_id material_id = 0; ///< the cell's material id
    std::vector<double>        li_fraction;     ///< Li-metal phase fraction xi (-) per point; empty = 0
  };

  /// What MaterialLibrary::evaluate() returns at the quadrature points of one cell.
  struct MaterialOutputs
  {
    std::vector<double> lame_lambda;             ///< lambda (Pa)
    std::vector<double> shear_modulus;           ///< mu (Pa)
    std::vector<double> electronic_conductivity; ///< sigma_e (S/m)
    std::vector<double> ionic_conductivity;      ///< sigma_ion (S/m)

    /// Sizes all arrays for @p n_points points.
    void resize(unsigned int n_points);
  };

  /// The materials of a simulation, keyed by material id and by name, and the
  /// operating conditions: the one home of every material property, the
  /// temperature and the bulk concentration. Every value can be overridden in
  /// the subsections "Materials" and "Conditions".
  class MaterialLibrary
  {
  public:
    /// Declares subsection "Materials" with one subsection per known material, and subsection "Conditions".
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads and validates all materials (positive moduli, -1 < nu < 0.5, ...) and the conditions.
    void parse_parameters(dealii::ParameterHandler &prm);

    /// The library with the defaults of PHYSICS.md Section 6 (no parameter file needed).
    static MaterialLibrary defaults();

    /// The material with cell id @p id; InputError if there is none.
    const Material &by_id(dealii::types::material_id id) const;
    /// The material called @p name; InputError (naming @p parameter) if there is none.
    const Material &by_name(const std::string &name, const std::string &parameter = "material") const;
    /// All materials, ordered by id.
    std::vector<Material> all() const;
    /// Adds or replaces a material (programmatic use and tests).
    void set(const Material &material);
    /// Temperature and bulk concentration of the run.
    const OperatingConditions &conditions() const { return operating_conditions; }
    /// Replaces the operating conditions (programmatic use and tests).
    void set_conditions(const OperatingConditions &conditions) { operating_conditions = conditions; }
    /// "Li metal|Cu|LLZO|..." for parameter patterns.
    static std::string pattern_names();

    /// Properties at the quadrature points of one cell: the cell material,
    /// mixed linearly with Li metal by the Li fraction where one is given.
    void evaluate(const MaterialInputs &in, MaterialOutputs &out) const;

  private:
    std::map<dealii::types::material_id, Material> materials;
    OperatingConditions                            operating_conditions;
  };
} // namespace dendra

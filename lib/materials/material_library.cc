#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/materials/material_library.h>

namespace dendra
{
  using namespace dealii;

  double Material::shear_modulus() const
  {
    return young_modulus / (2 * (1 + poisson_ratio));
  }
  double Material::lame_lambda() const
  {
    return young_modulus * poisson_ratio / ((1 + poisson_ratio) * (1 - 2 * poisson_ratio));
  }
  double Material::bulk_modulus() const
  {
    return young_modulus / (3 * (1 - 2 * poisson_ratio));
  }

  void MaterialOutputs::resize(const unsigned int n)
  {
    lame_lambda.resize(n);
    shear_modulus.resize(n);
    electronic_conductivity.resize(n);
    ionic_conductivity.resize(n);
  }

  namespace
  {
    /// Defaults from PHYSICS.md Section 6 ("typ." values where no single source).
    const std::vector<Material> &default_materials()
    {
      static const std::vector<Material> defaults = {
        // Li nucleates on bare Cu at about 30 mV (lithiophobic), on
        // lithiophilic (sparked) rGO at almost none.
        {"Li metal", 1, 4.9e9, 0.42, 1.1e7, 0.0, 1.0, 0.0, 0.0, 0.0, 1.30e-5},
        {"Cu", 2, 120e9, 0.34, 5.96e7, 0.0, 1.0, 0.03},
        // LLZO: K_IC = 1.0 MPa m^1/2 (1.0-1.25 typ.) gives G_c = K_IC^2 (1 - nu^2) / E = 6.2 J/m^2.
        {"LLZO", 3, 150e9, 0.257, 1e-6, 0.05, 1.0, 0.0, 6.23, 0.5e-6},
        {"rGO", 4, 30e9, 0.2, 1e4, 0.0, 1.0, 0.0},
        // 1 M LiPF6 in carbonates (Chen et al. 2015's sigma_l).
        {"Liquid electrolyte", 5, 0.0, 0.0, 0.0, 1.19},
        {"Polymer electrolyte", 6, 2.7e6, 0.33, 0.0, 1e-2},
        // The skeleton of porous LLZO: LLZO's bulk values, its own id so that
        // hosts can tell the porous layer from the dense one.
        {"Porous LLZO", 7, 150e9, 0.257, 1e-6, 0.05, 1.0, 0.0, 6.23, 0.5e-6},
        {"Void", 8, 0.0, 0.0, 0.0, 0.0},
      };
      return defaults;
    }
  } // namespace

  std::string MaterialLibrary::pattern_names()
  {
    std::string names;
    for (const auto &m : default_materials())
      names += (names.empty() ? "" : "|") + m.name;
    return names;
  }

  void MaterialLibrary::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Materials");
    for (const auto &m : default_materials())
      {
        prm.enter_subsection(m.name);
        prm.declare_entry("Material id", std::to_string(m.id), Patterns::Integer(0, 254),
                          "Cell material id of " + m.name + " in meshes (-), 0..254; ids must be unique.");
        prm.declare_entry("Young's modulus", format_number(m.young_modulus), Patterns::Double(),
                          "Young's modulus E (Pa), >= 0; 0 marks a fluid, which elasticity rejects.");
        prm.declare_entry("Poisson's ratio", format_number(m.poisson_ratio), Patterns::Double(),
                          "Poisson's ratio nu (-), in (-1, 0.5).");
        prm.declare_entry("Electronic conductivity", format_number(m.electronic_conductivity), Patterns::Double(),
                          "Electronic conductivity sigma_e (S/m), >= 0.");
        prm.declare_entry("Ionic conductivity", format_number(m.ionic_conductivity), Patterns::Double(),
                          "Ionic conductivity sigma_ion (S/m), >= 0.");
        prm.declare_entry("Exchange current factor", format_number(m.exchange_current_factor), Patterns::Double(),
                          "Exchange current of Li plating on this surface relative to Li on Li (-), > 0: "
                          "scales Electrodeposition/Reaction constant next to a host surface.");
        prm.declare_entry("Nucleation overpotential", format_number(m.nucleation_overpotential), Patterns::Double(),
                          "Extra overpotential Li needs to plate on this surface (V), >= 0: lithiophobic "
                          "surfaces need tens of mV, lithiophilic ones ~0 (host surfaces of deposition runs).");
        prm.declare_entry("Fracture energy", format_number(m.fracture_energy), Patterns::Double(),
                          "Critical energy release rate G_c of phase-field fracture (J/m^2), >= 0; 0: the material "
                          "does not damage. From the toughness: G_c = K_IC^2 (1 - nu^2) / E.");
        prm.declare_entry("Damage length scale", format_number(m.damage_length), Patterns::Double(),
                          "Phase-field length scale l (m), > 0 where Fracture energy > 0: the half-width of the "
                          "diffuse crack; cells there should be smaller than l / 2.");
        prm.declare_entry("Molar volume", format_number(m.molar_volume), Patterns::Double(),
                          "Molar volume Omega (m^3/mol), >= 0; Li metal's is the volume of plated Li per mole "
                          "(its molar density c_s = 1 / Omega), > 0.");
        prm.declare_entry("Li+ partial molar volume", format_number(m.li_ion_volume), Patterns::Double(),
                          "Partial molar volume V_Li+ of Li+ in this material as an electrolyte (m^3/mol), >= 0: "
                          "the Monroe-Newman form of the mechanical overpotential at a Li electrode facing it.");
        prm.leave_subsection();
      }
    prm.leave_subsection();
    const OperatingConditions defaults;
    prm.enter_subsection("Conditions");
    prm.declare_entry("Temperature", format_number(defaults.temperature), Patterns::Double(),
                      "Absolute temperature T (K), > 0, of every field and of the kinetics.");
    prm.declare_entry("Bulk concentration", format_number(defaults.bulk_concentration), Patterns::Double(),
                      "c0, the Li+ (salt) concentration of the bulk electrolyte (mol/m^3), > 0: the initial "
                      "and reservoir concentration of transport and deposition runs.");
    prm.leave_subsection();
  }

  void MaterialLibrary::parse_parameters(ParameterHandler &prm)
  {
    materials.clear();
    prm.enter_subsection("Materials");
    for (const auto &defaults : default_materials())
      {
        prm.enter_subsection(defaults.name);
        Material m;
        m.name                     = defaults.name;
        m.id                       = prm.get_integer("Material id");
        m.young_modulus            = prm.get_double("Young's modulus");
        m.poisson_ratio            = prm.get_double("Poisson's ratio");
        m.electronic_conductivity  = prm.get_double("Electronic conductivity");
        m.ionic_conductivity       = prm.get_double("Ionic conductivity");
        m.exchange_current_factor  = prm.get_double("Exchange current factor");
        m.nucleation_overpotential = prm.get_double("Nucleation overpotential");
        m.fracture_energy          = prm.get_double("Fracture energy");
        m.damage_length            = prm.get_double("Damage length scale");
        m.molar_volume             = prm.get_double("Molar volume");
        m.li_ion_volume            = prm.get_double("Li+ partial molar volume");
        prm.leave_subsection();
        const std::string where = "Materials/" + m.name + "/";
        require_input(m.young_modulus >= 0, where + "Young's modulus = " + format_number(m.young_modulus) +
                                              " Pa is negative; it must be >= 0");
        require_input(m.poisson_ratio > -1 && m.poisson_ratio < 0.5,
                      where + "Poisson's ratio = " + format_number(m.poisson_ratio) +
                        " is outside (-1, 0.5); nu >= 0.5 is incompressible, which linear elasticity "
                        "in displacement form cannot represent");
        require_input(m.electronic_conductivity >= 0,
                      where + "Electronic conductivity = " + format_number(m.electronic_conductivity) +
                        " S/m is negative; it must be >= 0");
        require_input(m.ionic_conductivity >= 0, where + "Ionic conductivity = " + format_number(m.ionic_conductivity) +
                                                   " S/m is negative; it must be >= 0");
        require_input(m.exchange_current_factor > 0,
                      where + "Exchange current factor = " + format_number(m.exchange_current_factor) + " must be > 0");
        require_input(m.nucleation_overpotential >= 0,
                      where + "Nucleation overpotential = " + format_number(m.nucleation_overpotential) +
                        " V is negative; it must be >= 0");
        require_input(m.fracture_energy >= 0, where + "Fracture energy = " + format_number(m.fracture_energy) +
                                                " J/m^2 is negative; it must be >= 0");
        require_input(m.fracture_energy == 0 || m.damage_length > 0,
                      where + "Damage length scale = " + format_number(m.damage_length) +
                        " m must be > 0 where Fracture energy > 0");
        require_input(m.molar_volume >= 0 && (m.name != "Li metal" || m.molar_volume > 0),
                      where + "Molar volume = " + format_number(m.molar_volume) + " m^3/mol must be " +
                        (m.name == "Li metal" ? "> 0" : ">= 0"));
        require_input(m.li_ion_volume >= 0, where + "Li+ partial molar volume = " + format_number(m.li_ion_volume) +
                                              " m^3/mol is negative; it must be >= 0");
        require_input(materials.count(m.id) == 0, where + "Material id = " + std::to_string(m.id) +
                                                    " is already used by " +
                                                    (materials.count(m.id) ? materials.at(m.id).name : ""));
        materials[m.id] = m;
      }
    prm.leave_subsection();
    prm.enter_subsection("Conditions");
    operating_conditions.temperature        = prm.get_double("Temperature");
    operating_conditions.bulk_concentration = prm.get_double("Bulk concentration");
    prm.leave_subsection();
    require_positive("Conditions/", {{"Temperature", operating_conditions.temperature},
                                     {"Bulk concentration", operating_conditions.bulk_concentration}});
  }

  MaterialLibrary MaterialLibrary::defaults()
  {
    MaterialLibrary library;
    for (const auto &m : default_materials())
      library.materials[m.id] = m;
    return library;
  }

  const Material &MaterialLibrary::by_id(const types::material_id id) const
  {
    const auto it = materials.find(id);
    require_input(it != materials.end(),
                  "no material has material id " + std::to_string(id) + " (see subsection Materials)");
    return it->second;
  }

  const Material &MaterialLibrary::by_name(const std::string &name, const std::string &parameter) const
  {
    for (const auto &[id, m] : materials)
      if (m.name == name)
        return m;
    throw InputError(parameter + ": unknown material '" + name + "' (known: " + pattern_names() + ")");
  }

  std::vector<Material> MaterialLibrary::all() const
  {
    std::vector<Material> result;
    for (const auto &[id, m] : materials)
      result.push_back(m);
    return result;
  }

  void MaterialLibrary::set(const Material &material)
  {
    for (auto it = materials.begin(); it != materials.end();)
      it = (it->second.name == material.name ? materials.erase(it) : std::next(it));
    materials[material.id] = material;
  }

  void MaterialLibrary::evaluate(const MaterialInputs &in, MaterialOutputs &out) const
  {
    const Material    &host = by_id(in.material_id);
    const unsigned int n    = out.lame_lambda.size();
    const Material    *li   = nullptr;
    if (!in.li_fraction.empty())
      li = &by_name("Li metal");
    for (unsigned int q = 0; q < n; ++q)
      {
        const double    xi   = (li != nullptr ? in.li_fraction[q] : 0.0);
        const auto      mix  = [xi](const double metal, const double other) { return xi * metal + (1 - xi) * other; };
        const Material &m    = (li != nullptr ? *li : host);
        out.lame_lambda[q]   = mix(m.lame_lambda(), host.lame_lambda());
        out.shear_modulus[q] = mix(m.shear_modulus(), host.shear_modulus());
        out.electronic_conductivity[q] = mix(m.electronic_conductivity, host.electronic_conductivity);
        out.ionic_conductivity[q]      = mix(m.ionic_conductivity, host.ionic_conductivity);
      }
  }
} // namespace dendra

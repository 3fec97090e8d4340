// The material library: defaults, derived moduli, overrides, validation.
#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/materials/material_library.h>

#include <catch2/catch.hpp>

using namespace dealii;
using namespace dendra;

TEST_CASE("Material defaults follow PHYSICS.md", "[materials]")
{
  const auto  library = MaterialLibrary::defaults();
  const auto &li      = library.by_name("Li metal");
  CHECK(li.young_modulus == 4.9e9);
  CHECK(li.poisson_ratio == 0.42);
  CHECK(li.electronic_conductivity == 1.1e7);
  CHECK(library.by_name("LLZO").young_modulus == 150e9);
  CHECK(library.by_name("Cu").electronic_conductivity == 5.96e7);
  // mu = E / (2 (1 + nu)), K = E / (3 (1 - 2 nu)), lambda = K - 2 mu / 3
  CHECK(li.shear_modulus() == Approx(4.9e9 / 2.84));
  CHECK(li.bulk_modulus() == Approx(4.9e9 / (3 * 0.16)));
  CHECK(li.lame_lambda() == Approx(li.bulk_modulus() - 2 * li.shear_modulus() / 3));
  CHECK(library.by_id(3).name == "LLZO");
  CHECK_THROWS_WITH(library.by_name("Unobtainium", "Geometry/Box/Material"),
                    Catch::Contains("Geometry/Box/Material") && Catch::Contains("Unobtainium"));
}

TEST_CASE("Material properties mix linearly with the Li fraction", "[materials]")
{
  const auto      library = MaterialLibrary::defaults();
  MaterialInputs  in;
  MaterialOutputs out;
  in.material_id = library.by_name("LLZO").id;
  in.li_fraction = {0.0, 0.25, 1.0};
  out.resize(3);
  library.evaluate(in, out);
  const double mu_li = library.by_name("Li metal").shear_modulus(), mu_llzo = library.by_name("LLZO").shear_modulus();
  CHECK(out.shear_modulus[0] == Approx(mu_llzo));
  CHECK(out.shear_modulus[1] == Approx(0.25 * mu_li + 0.75 * mu_llzo));
  CHECK(out.shear_modulus[2] == Approx(mu_li));
  CHECK(out.electronic_conductivity[2] == Approx(1.1e7));
}

TEST_CASE("Materials are overridden and validated from the parameter file", "[materials]")
{
  const auto parse = [](const std::string &text) {
    ParameterHandler prm;
    MaterialLibrary::declare_parameters(prm);
    read_parameter_string(prm, text);
    MaterialLibrary library;
    library.parse_parameters(prm);
    return library;
  };
  CHECK(parse("subsection Materials\nsubsection LLZO\nset Young's modulus = 1.2e11\nend\nend\n")
          .by_name("LLZO")
          .young_modulus == 1.2e11);
  CHECK_THROWS_WITH(parse("subsection Materials\nsubsection LLZO\nset Young's modulus = -1e9\nend\nend\n"),
                    Catch::Contains("Materials/LLZO/Young's modulus") && Catch::Contains("negative"));
  CHECK_THROWS_WITH(parse("subsection Materials\nsubsection Li metal\nset Poisson's ratio = 0.5\nend\nend\n"),
                    Catch::Contains("Materials/Li metal/Poisson's ratio"));
  CHECK_THROWS_WITH(parse("subsection Materials\nsubsection Cu\nset Electronic conductivity = -5\nend\nend\n"),
                    Catch::Contains("Materials/Cu/Electronic conductivity"));
  CHECK_THROWS_WITH(parse("subsection Materials\nsubsection Cu\nset Material id = 3\nend\nend\n"),
                    Catch::Contains("Material id = 3"));
}

// Parameter handling: helpers, and one-line errors for bad input.
#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/transport.h>

#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

using namespace dealii;
using namespace dendra;

namespace
{
  /// Parses @p text on top of the defaults and builds a 2D simulator; returns
  /// the InputError message ("" if there was none).
  std::string error_of(const std::string &text)
  {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    try
      {
        read_parameter_string(prm, "set Output directory = test-parameters-output\n" + text);
        Simulator<2> simulator(MPI_COMM_WORLD, prm);
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "";
  }
} // namespace

TEST_CASE("Helpers split and parse parameter values", "[parameters]")
{
  CHECK(split_top_level("pow(x, 2), 3", ',') == std::vector<std::string>{"pow(x, 2)", "3"});
  const auto map = parse_boundary_map("0: 1, 2; top: x", "P", {{"top", 5}});
  REQUIRE(map.size() == 2);
  CHECK(map.at(0) == std::vector<std::string>{"1", "2"});
  CHECK(map.at(5) == std::vector<std::string>{"x"});
  const auto f = parse_function<2>({"x + 2 * y + t"}, "P");
  f->set_time(3);
  CHECK(f->value(Point<2>(1, 1)) == Approx(6));
  CHECK(parse_points<3>("1, 2, 3; 4, 5, 6", "P")[1][2] == 6);
  CHECK_THROWS_WITH(parse_boundary_map("sides: 0", "Elasticity/Boundary conditions/Displacement", {{"top", 3}}),
                    Catch::Contains("Elasticity/Boundary conditions/Displacement") && Catch::Contains("sides") &&
                      Catch::Contains("top"));
  CHECK_THROWS_WITH(parse_function<2>({"sin(x"}, "Electrostatics/Source"), Catch::Contains("Electrostatics/Source"));
  CHECK_THROWS_WITH(parse_points<2>("1, 2, 3", "Postprocess/Probe points"),
                    Catch::Contains("Postprocess/Probe points"));
}

TEST_CASE("The defaults describe a valid run", "[parameters]")
{
  CHECK(error_of("") == "");
}

TEST_CASE("Bad input gives one-line errors that name the parameter", "[parameters]")
{
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
    {"set Youngs modulus = 1\n", {"Youngs modulus"}},
    {"subsection Materals\nend\n", {"Materals"}},
    {"set Dimension = two\n", {"Dimension", "two"}},
    {"subsection Geometry\nset Model name = gmsh\nsubsection Gmsh\nset File name = missing.msh\nend\nend\n",
     {"Geometry/Gmsh/File name", "missing.msh"}},
    {"subsection Materials\nsubsection LLZO\nset Young's modulus = -150e9\nend\nend\n",
     {"Materials/LLZO/Young's modulus", "negative"}},
    {"subsection Materials\nsubsection LLZO\nset Ionic conductivity = -1\nend\nend\n",
     {"Materials/LLZO/Ionic conductivity"}},
    {"subsection Materials\nsubsection Li metal\nset Poisson's ratio = 0.5\nend\nend\n",
     {"Materials/Li metal/Poisson's ratio", "0.5"}},
    {"subsection Elasticity\nsubsection Boundary conditions\nset Displacement = bottom: 0\nend\nend\n",
     {"Elasticity/Boundary conditions/Displacement", "bottom"}},
    {"subsection Geometry\nsubsection Interfacial defect\nset Defect width = 0\nend\nend\n", {"Defect width"}},
  };
  for (const auto &[text, expected] : cases)
    {
      const std::string message = error_of(text);
      INFO("input:\n" << text << "message: " << message);
      CHECK(!message.empty());
      CHECK(message.find('\n') == std::string::npos);
      for (const auto &word : expected)
        CHECK(message.find(word) != std::string::npos);
    }
}

TEST_CASE("Shared constants have one home; their old entries name it", "[parameters]")
{
  const std::vector<std::pair<std::string, std::string>> moved = {
    {"subsection Transport\nset Temperature = 300\nend\n", "Conditions/Temperature"},
    {"subsection Transport\nset Bulk concentration = 10\nend\n", "Conditions/Bulk concentration"},
    {"subsection Kinetics\nset Temperature = 300\nend\n", "Conditions/Temperature"},
    {"subsection Electrodeposition\nset Temperature = 300\nend\n", "Conditions/Temperature"},
    {"subsection Electrodeposition\nset Li molar volume = 1e-5\nend\n", "Materials/Li metal/Molar volume"},
    {"subsection Electrodeposition\nset Metal conductivity = 1e7\nend\n", "Materials/Li metal/Electronic conductivity"},
    {"subsection Electrodeposition\nset Electrolyte conductivity = 1\nend\n",
     "Materials/<Electrolyte material>/Ionic conductivity"},
    {"subsection Electrodeposition\nset Electrolyte Li+ molar volume = 1e-6\nend\n",
     "Materials/<Electrolyte material>/Li+ partial molar volume"},
    {"subsection Plating\nset Li molar volume = 1e-5\nend\n", "Materials/Li metal/Molar volume"},
  };
  for (const auto &[text, home] : moved)
    {
      const std::string fields =
        text.find("Transport") != std::string::npos || text.find("Kinetics") != std::string::npos ? "transport"
        : text.find("Electrodeposition") != std::string::npos                                     ? "deposition"
                                                                                                  : "elasticity";
      const std::string message = error_of("subsection Simulation\nset Fields = " + fields + "\nend\n" + text);
      INFO("input:\n" << text << "message: " << message);
      CHECK(message.find("has moved to " + home) != std::string::npos);
    }

  // The one home reaches every reader.
  ParameterHandler prm;
  Simulator<2>::declare_parameters(prm);
  read_parameter_string(prm, "subsection Conditions\nset Temperature = 310\nset Bulk concentration = 500\nend\n"
                             "subsection Materials\nsubsection Li metal\nset Molar volume = 1.2e-5\n"
                             "set Electronic conductivity = 2e7\nend\nsubsection LLZO\nset Ionic conductivity = "
                             "0.07\nset Li+ partial molar volume = 4e-6\nend\nend\n"
                             "subsection Electrodeposition\nset Electrolyte material = LLZO\nend\n");
  MaterialLibrary materials;
  materials.parse_parameters(prm);
  Electrodeposition<2>::Parameters deposition;
  deposition.parse_parameters(prm, {}, materials);
  CHECK(deposition.temperature == 310);
  CHECK(deposition.bulk_concentration == 500);
  CHECK(deposition.molar_volume == 1.2e-5);
  CHECK(deposition.metal_conductivity == 2e7);
  CHECK(deposition.electrolyte_conductivity == 0.07);
  CHECK(deposition.electrolyte_li_volume == 4e-6);
  Transport<2>::Parameters transport;
  transport.parse_parameters(prm, {}, materials);
  CHECK(transport.temperature == 310);
  CHECK(transport.bulk_concentration == 500);
  CHECK(transport.kinetics->temperature == 310);
  CHECK(transport.mechanical.molar_volume == 1.2e-5);
  CHECK(transport.li_ion_volume.at(materials.by_name("LLZO").id) == 4e-6);
  DefectDeposit<2>::Parameters plating;
  plating.parse_parameters(prm, materials);
  CHECK(plating.molar_volume == 1.2e-5);
}

TEST_CASE("A missing parameter file is reported by name", "[parameters]")
{
  ParameterHandler prm;
  Simulator<2>::declare_parameters(prm);
  CHECK_THROWS_WITH(read_parameter_file(prm, "no-such-input.prm"), Catch::Contains("no-such-input.prm"));
}

TEST_CASE("Named values are parsed in order and bad numbers are reported", "[parameters]")
{
  const auto layers = parse_named_values("Polymer electrolyte: 5e-5; LLZO: 2.5e-5", "Geometry/Box/Layers");
  REQUIRE(layers.size() == 2);
  CHECK(layers[0].first == "Polymer electrolyte");
  CHECK(layers[1].second == 2.5e-5);
  CHECK(parse_named_values("  ", "p").empty());
  CHECK_THROWS_WITH(parse_named_values("LLZO: 1e-5x", "Geometry/Box/Layers"),
                    "Geometry/Box/Layers: '1e-5x' (for 'LLZO') is not a number");
  CHECK_THROWS_AS(parse_named_values("LLZO 1e-5", "p"), InputError);
}

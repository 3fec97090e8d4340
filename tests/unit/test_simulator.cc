// Runs of the Simulator that check a coupling end to end, and a field
// registered from outside the library.

#include <dendra/base/parameters.h>
#include <dendra/base/profile.h>
#include <dendra/coupling/simulator.h>
#include <dendra/fields/damage.h>
#include <dendra/fields/elasticity.h>
#include <dendra/fields/electrodeposition.h>
#include <dendra/fields/electrostatics.h>

#include <deal.II/base/mpi.h>
#include <deal.II/fe/fe_q.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

using namespace dealii;
using namespace dendra;

namespace
{
  /// The current (A/m) through the cell and the largest
  /// damage after a run of the default defect with @p fields, its Li filling
  /// strained to 40 %.
  std::pair<double, double> run_defect(const std::string &fields)
  {
    ParameterHandler prm;
    Simulator<2>::declare_parameters(prm);
    read_parameter_string(prm, "set Output directory = simulator-test-output\n"
                               "subsection Simulation\n  set Fields = " +
                                 fields +
                                 "\n  set Number of steps = 2\nend\n"
                                 "subsection Plating\n  set Deposit volumetric eigenstrain = 0.4 * t\nend\n"
                                 "subsection Electrostatics\n  set Conductivity = total\nend\n"
                                 "subsection Postprocess\n  set Write vtu = false\n  set Echo log = false\nend\n");
    Simulator<2> simulator(MPI_COMM_WORLD, prm);
    simulator.run();
    double cell_current = 0; // enters at one electrode, leaves at the other
    for (const auto &[id, current] : simulator.field<Electrostatics<2>>()->boundary_currents())
      cell_current = std::max(cell_current, std::abs(current));
    const double damage = simulator.field<Damage<2>>() ? simulator.field<Damage<2>>()->solution().linfty_norm() : 0.0;
    return {cell_current, damage};
  }
} // namespace

TEST_CASE("Damage degrades the ionic conductivity in a run with electrostatics, elasticity and damage", "[simulator]")
{
  const auto [intact, no_damage]   = run_defect("electrostatics, elasticity");
  const auto [cracked, max_damage] = run_defect("electrostatics, elasticity, damage");
  INFO("current through the cell: intact " << intact << " A/m, damaged " << cracked << " A/m; largest damage "
                                           << max_damage);
  CHECK(no_damage == 0);
  CHECK(max_damage > 0.5);
  // Cracked LLZO conducts less: the same voltage drives less current.
  CHECK(cracked < intact * (1 - 1e-3));
}

namespace
{
  /// A field defined only here, to show that a field is a class plus a
  /// registration: u = Value t everywhere (subsection "Toy field").
  template <int dim>
  class ToyField : public Field<dim>
  {
  public:
    ToyField(const parallel::distributed::Triangulation<dim> &triangulation, const double value)
      : Field<dim>(triangulation, std::make_unique<FE_Q<dim>>(1))
      , value(value)
    {}
    static void declare_parameters(ParameterHandler &prm)
    {
      prm.enter_subsection("Toy field");
      prm.declare_entry("Value", "2", Patterns::Double(), "u / t (1/s).");
      prm.leave_subsection();
    }
    static FieldMaker<dim> parse(ParameterHandler &prm, const FieldContext<dim> &context)
    {
      prm.enter_subsection("Toy field");
      const double value = prm.get_double("Value");
      prm.leave_subsection();
      return [value, &context]() { return std::make_unique<ToyField<dim>>(context.triangulation, value); };
    }
    SolverReport solve() override
    {
      LA::MPI::Vector owned(this->locally_owned, this->communicator);
      owned = value * this->time;
      this->set_solution(owned);
      return {};
    }
    void add_output(DataOut<dim> &data_out) const override
    {
      data_out.add_data_vector(this->dofs, this->locally_relevant_solution, "toy");
    }
    std::string name() const override { return "toy"; }
    void        add_statistics(StatisticsTable &table, const BoundaryLabels &) override
    {
      table.add_value("toy_max", "", this->solution().linfty_norm());
    }

  private:
    void   add_boundary_constraints(AffineConstraints<double> &) override {}
    double value;
  };

  DENDRA_REGISTER_FIELD(ToyField, "toy", 50, "a field of the unit tests.")
} // namespace

TEST_CASE("A field registered outside the library runs in the Simulator unchanged", "[simulator]")
{
  ParameterHandler prm;
  Simulator<2>::declare_parameters(prm);
  read_parameter_string(prm, "set Output directory = simulator-test-output\n"
                             "subsection Simulation\n  set Fields = toy, elasticity\n  set Number of steps = 2\n"
                             "  set End time = 0.5\nend\n"
                             "subsection Toy field\n  set Value = 3\nend\n"
                             "subsection Plating\n  set Deposit volumetric eigenstrain = 0.4 * t\nend\n"
                             "subsection Postprocess\n  set Write vtu = false\n  set Echo log = false\nend\n");
  Simulator<2> simulator(MPI_COMM_WORLD, prm);
  simulator.run();
  REQUIRE(simulator.field<ToyField<2>>() != nullptr);
  const auto &s = simulator.statistics();
  REQUIRE(s.n_rows() == 2);
  CHECK(s.value(0, "toy_max") == Approx(0.75).epsilon(1e-14));
  CHECK(s.value(1, "toy_max") == Approx(1.5).epsilon(1e-14));
  CHECK(s.value(1, "max_principal_stress") > 0); // elasticity alongside, from the same registry
}

TEST_CASE("Postprocess/Timing logs the wall time of the run's sections", "[simulator]")
{
  // Sections outside a profile do nothing; nested ones each count.
  {
    const profile::Section ignored("never shown");
  }
  CHECK(profile::finish().empty());
  profile::start(MPI_COMM_WORLD);
  for (int i = 0; i < 3; ++i)
    {
      const profile::Section outer("outer section");
      const profile::Section inner("inner section");
    }
  const std::string table = profile::finish();
  CHECK(!profile::running());
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      CHECK(table.find("| outer section") != std::string::npos);
      CHECK(table.find("| inner section") != std::string::npos);
      CHECK(table.find("never shown") == std::string::npos);
    }

  // A section that outlives its profile leaves nothing in the next one.
  {
    profile::start(MPI_COMM_WORLD);
    auto stale = std::make_unique<profile::Section>("stale section");
    profile::finish();
    profile::start(MPI_COMM_WORLD);
    stale.reset();
    const profile::Section fresh("fresh section");
  }
  const std::string next = profile::finish();
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      CHECK(next.find("| fresh section") != std::string::npos);
      CHECK(next.find("stale section") == std::string::npos);
    }

  // A damage run profiles the coupled step's sections and logs the table.
  ParameterHandler prm;
  Simulator<2>::declare_parameters(prm);
  read_parameter_string(prm, "set Output directory = simulator-timing-output\n"
                             "subsection Simulation\n  set Fields = elasticity, damage\n"
                             "  set Number of steps = 1\nend\n"
                             "subsection Plating\n  set Deposit volumetric eigenstrain = 0.4 * t\nend\n"
                             "subsection Postprocess\n  set Write vtu = true\n  set Echo log = false\n"
                             "  set Timing = true\nend\n");
  Simulator<2> simulator(MPI_COMM_WORLD, prm);
  simulator.run();
  CHECK(!profile::running());
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      std::ifstream     file("simulator-timing-output/log.txt");
      const std::string log((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
      for (const std::string section : {"assembly: elasticity", "assembly: damage", "driving energy: damage",
                                        "solve: elasticity", "solve: damage", "staggered passes", "AMG set-up",
                                        "CG solves", "output"})
        {
          INFO("section " << section);
          CHECK(log.find("| " + section) != std::string::npos);
        }
    }
}

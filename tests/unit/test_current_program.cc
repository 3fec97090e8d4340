// The plate / strip / rest current program.
#include <dendra/base/exceptions.h>
#include <dendra/core/current_program.h>

#include <catch2/catch.hpp>

using namespace dendra;

TEST_CASE("A current program repeats plate, rest and strip steps", "[current_program]")
{
  CurrentProgram program;
  program.set("plate 10 100; rest 50; strip 5 200", 2);
  CHECK(program.duration() == Approx(700));
  CHECK(program.current_density(10) == -10); // plating is cathodic
  CHECK(program.current_density(120) == 0);
  CHECK(program.current_density(200) == 5);
  CHECK(program.current_density(360) == -10); // second cycle
  CHECK(program.current_density(800) == 0);   // after the end
  CHECK(program.next_change(0) == 100);
  CHECK(program.next_change(100) == 150);
  CHECK(program.next_change(149.9) == 150);
  CHECK(program.charge(350) == Approx(-10 * 100 + 5 * 200));
  CHECK(program.charge(700) == Approx(2 * (-1000 + 1000)));
}

TEST_CASE("Malformed current programs are rejected by name", "[current_program]")
{
  CurrentProgram program;
  CHECK_THROWS_WITH(program.set("plate 10", 1),
                    Catch::Contains("Current program/Steps") && Catch::Contains("plate 10"));
  CHECK_THROWS_WITH(program.set("charge 1 2", 1), Catch::Contains("charge 1 2"));
  CHECK_THROWS_WITH(program.set("rest -5", 1), Catch::Contains("duration"));
  CHECK_THROWS_WITH(program.set("strip x 10", 1), Catch::Contains("'x'"));
}

// dendra-host: plating and stripping cycles in a 3D host (PHYSICS.md Section
// 7, items 5 to 7). `dendra-host [input.prm]` runs the file on top of the
// built-in default below: one galvanostatic plate/strip cycle on a 2D section
// of a Cu collector with two blunt cones. statistics.csv reports per step the
// plating current and current density of every host surface region, the Li
// inside and outside the host, the electrode thickness and its change, and
// the electrode potential; with elasticity, the stress in the host.
#include <dendra/coupling/application.h>

namespace
{
  const char *default_input = R"(
set Dimension        = 2
set Output directory = dendra-host-output

subsection Simulation
  set Fields   = deposition, elasticity
  set End time = 4         # s: the current program's length
end

subsection Materials
  # Elasticity needs a solid everywhere: the liquid becomes a 1 kPa stand-in
  # that carries no stress worth the name.
  subsection Liquid electrolyte
    set Young's modulus = 1e3   # Pa
  end
end

subsection Elasticity
  subsection Plated lithium
    # Li is added at the deposit's surface and thickens it along the
    # collector normal (+y); Li is linear elastic here (no creep), so host
    # stresses are upper bounds.
    set Growth mode = directional
  end
  subsection Boundary conditions
    set Displacement = collector: 0
  end
end

subsection Geometry
  set Model name = Cu collector
  subsection Cu collector
    set Feature       = cone
    set Feature count = 2
    set Tip radius    = 0.5e-6   # m: blunt tips, two interface cells wide
  end
end

subsection Mesh refinement
  set Interface resolution = 0.25e-6   # m: Cu surface and diffuse interface
  set Adaptation interval  = 2         # steps
end

subsection Electrodeposition
  set Host materials      = Cu
  set Initial phase       = geometry   # no Li but the film that wets the Cu
  set Interface thickness = 1e-6       # m
  # 100 times below Chen et al.'s dendrite value: their capillary flow (2 um/s
  # on a 1 um radius) would outrun plating at 1000 A/m^2 (0.13 um/s) on
  # host-sized features and fill the valleys without current.
  set Interface mobility  = 2.5e-8     # m^3/(J s)
  set Anisotropy strength = 0
  subsection Boundary conditions
    set Reservoir = reservoir
  end
end

subsection Current program
  set Working electrode = collector
  set Steps             = plate 1000 2; strip 1000 2   # A/m^2, s
  set Number of cycles  = 1
end

subsection Time stepping
  set Initial time step = 0.01   # s
end

subsection Postprocess
  set Stress summary materials = Cu   # the host: max_*_stress columns
end
)";
} // namespace

int main(int argc, char **argv)
{
  return dendra::run_application(
    argc, argv,
    {"dendra-host",
     "Without an input file, dendra-host runs its built-in default: one plate/strip cycle at\n"
     "1000 A/m^2 on a 2D section of a Cu collector carrying two cones; an input file changes\n"
     "any of it (Geometry/Model name = layered rGO or garnet bilayer, Dimension = 3, ...).\n",
     default_input});
}

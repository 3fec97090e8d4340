// dendra-defect-study: the stress-defect failure study (PHYSICS.md Section 7,
// item 1). Li plated into an interfacial defect of LLZO pressurises it, the
// garnet cracks (phase-field damage), Li follows into the cracks, and the
// cell fails when cracked electrolyte reaches half the electrolyte thickness.
// The sweep runs every defect shape against every aspect ratio at equal
// defect area, writes results.csv and the plots, and resumes when run again.
//   dendra-defect-study                      the small 2D default (minutes)
//   mpirun -np 8 dendra-defect-study s.prm   8 cases at a time
#include <dendra/coupling/application.h>
#include <dendra/coupling/defect_study.h>

namespace
{
  const std::string default_input = R"(
set Dimension        = 2
set Output directory = dendra-defect-study-output

subsection Simulation
  set Fields          = elasticity, damage
  set End time        = 200   # s of plating at 1 mA/cm^2
  set Number of steps = 160   # 1.25 s steps: failure times converge to ~5 % (benchmarks/defect_failure)
end

subsection Geometry
  set Model name = interfacial defect
  subsection Interfacial defect
    set Electrolyte width     = 20e-6    # m
    set Electrolyte thickness = 10e-6    # m: failure when a crack reaches 5 um
    set Electrode thickness   = 2e-6     # m
    set Defect size           = 1.5708e-12  # m^2: every defect has the area of a 2 um wide semicircle
  end
end

subsection Mesh refinement
  # Cracks need cells of at most half the damage length (0.5 um) where they run.
  set Interface resolution = 2.5e-7             # m
  set Refinement box       = -6e-6, 0; 6e-6, 6e-6
  set Box resolution       = 2.5e-7             # m
end

subsection Plating
  set Deposit growth          = faradaic   # Li plates on the defect's walls and fills cracks
  set Plating current density = 10         # A/m^2 = 1 mA/cm^2
end

subsection Checkpoint
  set Interval = 10   # steps: a killed study continues each case from its last checkpoint
end

subsection Damage
  set Model              = AT1    # an elastic range before damage starts
  set Viscosity          = 1.25e8 # Pa s: damage relaxes over 10 s, so cracks run over steps
  set Residual stiffness = 1e-4   # broken LLZO keeps 0.01 %: the elasticity CG still converges
end

subsection Elasticity
  subsection Linear solver
    set Maximum iterations = 2000
  end
  subsection Boundary conditions
    set Displacement = electrode bottom: 0
    set Pressure     = electrolyte top: 1e6   # Pa: the stack pressure of the cell
  end
end

subsection Postprocess
  set Write vtu = false
  set Echo log  = false     # each case logs to its own log.txt
end

subsection Defect study
  set Plot command = )" DENDRA_DEFECT_PLOT_COMMAND R"(
end
)";
} // namespace

int main(int argc, char **argv)
{
  dendra::ApplicationInfo info;
  info.name          = "dendra-defect-study";
  info.description   = "Without an input file, dendra-defect-study runs its built-in default: 3 defect shapes x 5\n"
                       "aspect ratios in 2D at a small resolution (a few minutes on 2 cores), and writes\n"
                       "results.csv, the plots and one directory per case. Run it again to resume.\n";
  info.default_input = default_input;
  info.declare_parameters = dendra::DefectStudy::declare_parameters;
  info.run                = [](MPI_Comm world, dealii::ParameterHandler &prm) {
    dendra::DefectStudy study(world, prm);
    study.run();
  };
  return dendra::run_application(argc, argv, info);
}

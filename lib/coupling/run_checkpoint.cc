#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/coupling/run_checkpoint.h>

#include <iomanip>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  RunCheckpoint<dim>::RunCheckpoint(const CheckpointParameters &parameters, RunOutput<dim> &output,
                                    MPI_Comm communicator, parallel::distributed::Triangulation<dim> &triangulation,
                                    const std::vector<std::unique_ptr<Field<dim>>> &fields,
                                    DefectDeposit<dim>                             &deposit)
    : parameters(parameters)
    , output(output)
    , communicator(communicator)
    , triangulation(triangulation)
    , fields(fields)
    , deposit(deposit)
  {}

  template <int dim>
  void RunCheckpoint<dim>::write(const LoopState &loop, const double time_of_failure) const
  {
    // The run's own state, exactly (17 digits); the fields attach their vectors to the mesh.
    std::ostringstream state;
    state << "dendra-checkpoint 4\n";
    loop.save(state);
    state << "time_of_failure " << std::setprecision(17) << time_of_failure << "\n";
    for (const auto &field : fields)
      field->save_state(state);
    deposit.save_state(state);
    output.save(state);
    const Checkpointer checkpoints(output.directory(), communicator);
    checkpoints.save(
      triangulation,
      [this]() {
        for (auto &field : fields)
          field->prepare_for_serialization();
      },
      state.str());
  }

  template <int dim>
  void RunCheckpoint<dim>::write_if_due(const LoopState &loop, const double time_of_failure) const
  {
    const int signal = termination_requested(communicator);
    if (signal != 0 || (parameters.interval > 0 && loop.step % parameters.interval == 0))
      write(loop, time_of_failure);
    if (signal != 0)
      throw TerminatedBySignal(signal, "stopped by signal " + std::to_string(signal) + " after step " +
                                         std::to_string(loop.step) + " (t = " + format_number(loop.time) +
                                         " s); checkpoint written, continue with --resume");
  }

  template <int dim>
  LoopState RunCheckpoint<dim>::restore(const std::string &text, double &time_of_failure) const
  {
    std::istringstream in(text);
    std::string        word;
    unsigned int       version = 0;
    LoopState          loop;
    in >> word >> version;
    require_input(word == "dendra-checkpoint" && version == 4, "--resume: the checkpoint is not one of this version");
    loop.load(in);
    in >> word >> time_of_failure;
    for (auto &field : fields)
      field->load_state(in); // the fields' times first: their constraints
    deposit.load_state(in);
    output.load(in);
    AssertThrow(static_cast<bool>(in), ExcMessage("the checkpoint's run state is damaged"));
    for (auto &field : fields)
      field->deserialize();
    return loop;
  }

  template class RunCheckpoint<2>;
  template class RunCheckpoint<3>;
} // namespace dendra

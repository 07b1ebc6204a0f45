import pytest

import lrplan


def test_a_schedule_called_without_a_step_names_the_keras_wrapper():
    # Keras calls a plain callable learning rate with no argument; the error says what to do instead
    with pytest.raises(lrplan.StepError) as err:
        lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=10), steps=2)()
    assert str(err.value) == (
        "warmup: a schedule is called with the step: schedule(step). Keras optimizers call a plain callable"
        " learning rate without one: wrap the schedule, keras.optimizers.Adam(learning_rate=lrplan.keras.Schedule(schedule))."
    )
    assert isinstance(err.value, ValueError)

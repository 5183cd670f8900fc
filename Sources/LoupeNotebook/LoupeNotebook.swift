/// Notebooks: parse, plan, run and render.

// A small role to copy from: its variables declared once, a folder and a page rendered from the
// template beside it. `provision apply` loads this file as it is (no build step); `npx tsc --noEmit`
// type-checks it.
import { defineRole, file, vars, z } from 'scaleup';

export default defineRole({
  name: 'hello',
  description: 'A page that greets whoever reads it',
  variables: z.object({
    hello_greeting: vars.text('Hello', 'The line the page shows.'),
    hello_dir: vars.text('/srv/hello', 'Where the page is written.'),
  }),
  steps: (v) => [
    file.directory({ path: v.hello_dir, mode: '0755' }),
    // Found in this role's templates/ folder; templates/hello/index.html.ejs in the project would replace it.
    file.template({ src: 'index.html.ejs', dest: `${v.hello_dir}/index.html`, mode: '0644' }),
  ],
});

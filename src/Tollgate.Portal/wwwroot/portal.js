// The developer portal's only script: Try it's "Copy as curl".
window.tollgate = {
    copy: text => navigator.clipboard.writeText(text),
};
